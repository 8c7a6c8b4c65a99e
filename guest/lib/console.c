/* COM1 output. Lines from different CPUs must not interleave, so print()
 * holds a lock for a whole formatted message.
 *
 * The lock is re-entrant per CPU because of exception handlers: a #MC can
 * arrive while its CPU is in the middle of a print (mce.c's poll loop).
 * Spinning there would deadlock (the holder is the code the handler
 * interrupted, on the same stack), and writing straight away would cut
 * the interrupted line in two. So a nested print goes to a buffer, which
 * the outermost holder writes out when it unlocks: the handler's lines
 * come whole, right after the line it interrupted. A handler that never
 * returns (it halts) calls console_abandon() first. Another CPU's prints
 * only ever wait for a holder that is running, so nothing can deadlock. */
#include "guest.h"

#define COM1 0x3f8
#define LSR_THRE 0x20
#define DEPTH_MASK 0xffffffffull

/* (holder's apic id + 1) << 32 | nesting depth; 0 when free. Only the
 * holder changes it while it is held. */
static uint64_t console_word;
/* Nested prints, written only by the holder (nested contexts on one CPU
 * end before the one they interrupted goes on). */
static char deferred[4096];
static uint32_t deferred_len;
static char last_byte = '\n';

static uint64_t me(void)
{
	return ((uint64_t)this_apic_id() + 1) << 32;
}

void console_lock(void)
{
	uint64_t self = me(), w = __atomic_load_n(&console_word, __ATOMIC_ACQUIRE);
	if ((w & ~DEPTH_MASK) == self) {
		__atomic_store_n(&console_word, w + 1, __ATOMIC_RELAXED);
		return;
	}
	uint64_t free = 0;
	while (!__atomic_compare_exchange_n(&console_word, &free, self | 1, false, __ATOMIC_ACQUIRE,
					    __ATOMIC_RELAXED)) {
		free = 0;
		cpu_relax();
	}
}

static void put_uart(char c)
{
	/* Bounded: a UART that never drains must not hang the guest. */
	for (int i = 0; i < 100000 && !(inb(COM1 + 5) & LSR_THRE); i++)
		cpu_relax();
	outb(COM1, (uint8_t)c);
	last_byte = c;
}

static void put_byte(char c)
{
	if ((__atomic_load_n(&console_word, __ATOMIC_RELAXED) & DEPTH_MASK) <= 1) {
		put_uart(c);
		return;
	}
	uint32_t n = __atomic_load_n(&deferred_len, __ATOMIC_RELAXED);
	if (n < sizeof(deferred)) {
		deferred[n] = c;
		__atomic_store_n(&deferred_len, n + 1, __ATOMIC_RELAXED);
	}
}

/* By the outermost holder. A nested print that interrupts this appends
 * and ends before we go on: the compare-exchange sees it and we go round. */
static void flush_deferred(void)
{
	uint32_t done = 0;
	for (;;) {
		uint32_t n = __atomic_load_n(&deferred_len, __ATOMIC_RELAXED);
		while (done < n)
			put_uart(deferred[done++]);
		if (__atomic_compare_exchange_n(&deferred_len, &n, 0, false, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			break;
	}
	if (done && last_byte != '\n')
		put_uart('\n');  /* the buffer filled up mid-line */
}

void console_unlock(void)
{
	uint64_t w = __atomic_load_n(&console_word, __ATOMIC_RELAXED);
	if ((w & DEPTH_MASK) > 1) {
		__atomic_store_n(&console_word, w - 1, __ATOMIC_RELAXED);
		return;
	}
	flush_deferred();
	__atomic_store_n(&console_word, 0, __ATOMIC_RELEASE);
	/* A handler may have printed between the flush and the release. */
	if (__atomic_load_n(&deferred_len, __ATOMIC_RELAXED)) {
		console_lock();
		console_unlock();
	}
}

void console_abandon(void)
{
	uint64_t w = __atomic_load_n(&console_word, __ATOMIC_ACQUIRE);
	if ((w & ~DEPTH_MASK) != me())
		return;
	if (last_byte != '\n')
		put_uart('\n');  /* end the line the exception cut short */
	flush_deferred();
	__atomic_store_n(&console_word, 0, __ATOMIC_RELEASE);
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
