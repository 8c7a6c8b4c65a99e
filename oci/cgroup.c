/* The container's cgroup (cgroup.h). */
#include "cgroup.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

/* Append "/NAME" to out, refusing "." and "..": the path must stay under
 * the cgroup root whatever the engine wrote. */
static int append(char *out, size_t size, const char *name, size_t len, char *why)
{
	size_t used = strlen(out);
	if (len == 0 || (len == 1 && name[0] == '.'))
		return 0;
	if (len == 2 && !memcmp(name, "..", 2))
		return snprintf(why, OCI_WHY_SIZE, "linux.cgroupsPath: a \"..\" component"), -EINVAL;
	if (used + 1 + len + 1 > size)
		return snprintf(why, OCI_WHY_SIZE, "linux.cgroupsPath: too long"), -EINVAL;
	out[used] = '/';
	memcpy(out + used + 1, name, len);
	out[used + 1 + len] = 0;
	return 0;
}

static int append_path(char *out, size_t size, const char *path, char *why)
{
	int err = 0;
	while (!err && *path) {
		size_t len = strcspn(path, "/");
		err = append(out, size, path, len, why);
		path += len + (path[len] == '/');
	}
	return err;
}

/* systemd's slice naming: "a-b.slice" lives in a.slice/a-b.slice. */
static int append_slice(char *out, size_t size, const char *slice, size_t len, char *why)
{
	if (len == 0 || (len == 7 && !memcmp(slice, "-.slice", 7)))
		return 0;
	if (len < 7 || memcmp(slice + len - 6, ".slice", 6) || slice[0] == '-' || memchr(slice, '/', len))
		return snprintf(why, OCI_WHY_SIZE, "linux.cgroupsPath: \"%.*s\" is not a slice", (int)len, slice),
		       -EINVAL;
	size_t name_len = len - 6;
	int err = 0;
	for (size_t i = 0; !err && i <= name_len; i++) {
		if (i < name_len && slice[i] != '-')
			continue;
		if (i < name_len && (slice[i + 1] == '-' || i + 1 == name_len))
			return snprintf(why, OCI_WHY_SIZE, "linux.cgroupsPath: \"%.*s\" is not a slice", (int)len,
					slice), -EINVAL;
		char part[256];
		if (i + 6 >= sizeof(part))
			return snprintf(why, OCI_WHY_SIZE, "linux.cgroupsPath: too long"), -EINVAL;
		snprintf(part, sizeof(part), "%.*s.slice", (int)i, slice);
		err = append(out, size, part, strlen(part), why);
	}
	return err;
}

/* "slice:prefix:name" as runc's systemd driver takes it. */
static int resolve_systemd(const char *path, const char *id, char *out, size_t size, char *why)
{
	const char *first = strchr(path, ':'), *second = first ? strchr(first + 1, ':') : NULL;
	if (!second || strchr(second + 1, ':'))
		return snprintf(why, OCI_WHY_SIZE, "linux.cgroupsPath \"%s\": not slice:prefix:name", path), -EINVAL;
	size_t slice_len = (size_t)(first - path);
	int err = slice_len ? append_slice(out, size, path, slice_len, why)
			    : append_slice(out, size, "system.slice", 12, why);
	const char *prefix = first + 1, *name = *(second + 1) ? second + 1 : id;
	char unit[512];
	size_t name_len = strlen(name);
	if (name_len > 6 && !strcmp(name + name_len - 6, ".slice"))
		snprintf(unit, sizeof(unit), "%.500s", name);
	else if (second == prefix)
		snprintf(unit, sizeof(unit), "%.240s.scope", name);
	else
		snprintf(unit, sizeof(unit), "%.*s-%.240s.scope", (int)(second - prefix) % 250, prefix, name);
	if (!err && strchr(unit, '/'))
		return snprintf(why, OCI_WHY_SIZE, "linux.cgroupsPath \"%s\": a '/' in the unit", path), -EINVAL;
	return err ? err : append(out, size, unit, strlen(unit), why);
}

static int resolve(const char *cgroups_path, bool systemd, const char *id, const char *own, char *out,
		   size_t size, char *why)
{
	if (snprintf(out, size, "%s", OCI_CGROUP_ROOT) >= (int)size)
		return snprintf(why, OCI_WHY_SIZE, "linux.cgroupsPath: too long"), -EINVAL;
	if (systemd)
		return resolve_systemd(cgroups_path ? cgroups_path : "", id, out, size, why);
	if (cgroups_path && cgroups_path[0] == '/')
		return append_path(out, size, cgroups_path, why);
	/* runc: relative to our cgroup's parent, which (unlike ours, holding
	 * the caller) may have controllers enabled for its children. */
	char parent[PATH_MAX];
	snprintf(parent, sizeof(parent), "%s", own);
	char *slash = strrchr(parent, '/');
	if (slash)
		*slash = 0;
	int err = append_path(out, size, parent, why);
	return err ? err : append_path(out, size, cgroups_path && *cgroups_path ? cgroups_path : id, why);
}

int oci_cgroup_resolve(const char *cgroups_path, bool systemd, const char *id, const char *own, char *out,
		       size_t size, char *why)
{
	int err = resolve(cgroups_path, systemd, id, own, out, size, why);
	if (!err && !strcmp(out, OCI_CGROUP_ROOT))
		return snprintf(why, OCI_WHY_SIZE, "linux.cgroupsPath: names the root cgroup"), -EINVAL;
	return err;
}

unsigned oci_cgroup_weight(unsigned long long shares)
{
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return (unsigned)(1 + ((shares - 2) * 9999) / 262142);
}
