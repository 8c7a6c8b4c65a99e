/* The model string comes from users and scripts: every malformed input
 * ends in one message, never in a half-applied model. */
#include "spec.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

__attribute__((format(printf, 3, 4)))
static int fail(char *error, size_t size, const char *format, ...)
{
	va_list ap;
	va_start(ap, format);
	vsnprintf(error, size, format, ap);
	va_end(ap);
	return -EINVAL;
}

/* "+name", "-name", "name=on", "name=off" -> name, length and sign. */
static bool split_item(const char *item, size_t len, const char **name, size_t *name_len,
		       bool *on)
{
	if (len > 1 && (item[0] == '+' || item[0] == '-')) {
		*on = item[0] == '+';
		*name = item + 1;
		*name_len = len - 1;
		return true;
	}
	const char *eq = memchr(item, '=', len);
	if (!eq || eq == item)
		return false;
	size_t value_len = len - (size_t)(eq - item) - 1;
	if (value_len == 2 && !memcmp(eq + 1, "on", 2))
		*on = true;
	else if (value_len == 3 && !memcmp(eq + 1, "off", 3))
		*on = false;
	else
		return false;
	*name = item;
	*name_len = (size_t)(eq - item);
	return true;
}

static int apply_item(struct cpu_spec *spec, const char *item, size_t len, char *error,
		      size_t size)
{
	const char *name;
	size_t name_len;
	bool on;
	if (!len)
		return fail(error, size, "cpu: empty feature after ','");
	if (!split_item(item, len, &name, &name_len, &on))
		return fail(error, size, "cpu: '%.*s': write +feature, -feature, feature=on or "
			    "feature=off", (int)(len > 64 ? 64 : len), item);
	if (name_len == 3 && !memcmp(name, "pmu", 3)) {
		spec->pmu = on;
		return 0;
	}
	const struct cpu_feature *f = cpu_feature_find(name, name_len);
	if (!f)
		return fail(error, size, "cpu: unknown feature '%.*s' (docs/cpu-features.md "
			    "lists them)", (int)(name_len > 64 ? 64 : name_len), name);
	if (feature_has(on ? spec->minus : spec->plus, f))
		return fail(error, size, "cpu: %s is both added and removed", f->name);
	feature_add(on ? spec->plus : spec->minus, f);
	return 0;
}

int cpu_spec_parse(struct cpu_spec *spec, const char *text, char *error, size_t size)
{
	memset(spec, 0, sizeof(*spec));
	spec->pmu = -1;
	size_t model_len = strcspn(text, ",");
	if (!model_len)
		return fail(error, size, "cpu: no model name (`sprig cpu list` shows them)");
	spec->model = cpu_model_find(text, model_len);
	if (!spec->model)
		return fail(error, size, "cpu: unknown model '%.*s' (`sprig cpu list` shows them)",
			    (int)(model_len > 64 ? 64 : model_len), text);
	for (const char *p = text + model_len; *p == ',';) {
		p++;
		size_t len = strcspn(p, ",");
		int err = apply_item(spec, p, len, error, size);
		if (err)
			return err;
		p += len;
	}
	return 0;
}

bool cpu_spec_pmu(const struct cpu_spec *spec)
{
	return spec->pmu >= 0 ? spec->pmu : spec->model->pmu;
}
