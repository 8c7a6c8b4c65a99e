/* COM1 output. Lines from different CPUs must not interleave, so print()
 * holds a spinlock for a whole formatted message. */
#include "guest.h"

#define COM1 0x3f8
#define LSR_THRE 0x20

static volatile int console_spin;

void console_lock(void)
{
	while (__atomic_exchange_n(&console_spin, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
}

void console_unlock(void)
{
	__atomic_store_n(&console_spin, 0, __ATOMIC_RELEASE);
}

static void put_byte(char c)
{
	/* Bounded: a UART that never drains must not hang the guest. */
	for (int i = 0; i < 100000 && !(inb(COM1 + 5) & LSR_THRE); i++)
		cpu_relax();
	outb(COM1, (uint8_t)c);
}

void console_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put_byte(s[i]);
}

static void put_number(uint64_t v, unsigned base, bool negative)
{
	char buf[24];
	int n = 0;
	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (negative)
		put_byte('-');
	while (n)
		put_byte(buf[--n]);
}

static void format(const char *f, va_list ap)
{
	for (; *f; f++) {
		if (*f != '%') {
			put_byte(*f);
			continue;
		}
		bool wide = false;
		if (*++f == 'l')
			wide = true, f++;
		switch (*f) {
		case 's': { const char *s = va_arg(ap, const char *); console_write(s, strlen(s)); break; }
		case 'c': put_byte((char)va_arg(ap, int)); break;
		case 'd': {
			int64_t v = wide ? va_arg(ap, int64_t) : va_arg(ap, int);
			put_number(v < 0 ? (uint64_t)-v : (uint64_t)v, 10, v < 0);
			break;
		}
		case 'u': put_number(wide ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, false); break;
		case 'x': put_number(wide ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, false); break;
		case '%': put_byte('%'); break;
		case 0: return;
		default: put_byte('?');
		}
	}
}

void print(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	console_lock();
	format(f, ap);
	console_unlock();
	va_end(ap);
}
