/* The i8042 keyboard controller, as much as Linux's i8042 and atkbd
 * drivers need to find a keyboard (self test, command byte, port test,
 * keyboard identify/reset/LEDs), plus the two ways to reset the machine
 * (command 0xfe, output port bit 0) and a way in for Ctrl-Alt-Del. No
 * mouse: the DSDT describes only the keyboard, so Linux does not probe
 * for one. Interrupts are edges on IRQ 1, one per byte the guest is to
 * read (device_irq_level). */
#include "bus.h"

#include <errno.h>
#include <string.h>

#include "../vmm.h"

#define STATUS_OBF 0x01
#define STATUS_SYS 0x04
#define STATUS_CMD 0x08
#define STATUS_UNLOCKED 0x10
#define CTR_KBD_INT 0x01
#define CTR_SYS 0x04
#define CTR_KBD_DISABLE 0x10
#define CTR_AUX_DISABLE 0x20
#define CTR_XLATE 0x40
#define CTR_POWER_ON (CTR_KBD_INT | CTR_SYS | CTR_XLATE)  /* as firmware leaves it */
#define ACK 0xfa

enum { NEXT_NONE, NEXT_CTR, NEXT_OUTPUT_PORT, NEXT_KBD_OUTPUT, NEXT_AUX, NEXT_KBD_ARG };
_Static_assert(NEXT_KBD_ARG == I8042_NEXT_MAX, "devices.h: I8042_NEXT_MAX is the last of these");

static void push(struct i8042 *k, uint8_t byte)
{
	if (k->count < I8042_QUEUE)
		k->queue[(k->head + k->count++) % I8042_QUEUE] = byte;
}

static void update_irq(struct i8042 *k)
{
	device_irq_level(k->irq_fd, &k->irq_raised, k->count && (k->ctr & CTR_KBD_INT));
}

void i8042_reset(struct i8042 *k)
{
	pthread_mutex_lock(&k->lock);
	k->ctr = CTR_POWER_ON;
	k->head = k->count = 0;
	k->next = NEXT_NONE;
	k->last_was_command = false;
	k->irq_raised = false;
	pthread_mutex_unlock(&k->lock);
}

void i8042_init(struct i8042 *k, int irq_fd)
{
	memset(k, 0, sizeof(*k));
	pthread_mutex_init(&k->lock, NULL);
	k->irq_fd = irq_fd;
	i8042_reset(k);
}

/* Controller commands (port 0x64). Returns true if the machine resets. */
static bool controller_command(struct i8042 *k, uint8_t cmd)
{
	switch (cmd) {
	case 0x20: push(k, k->ctr); break;                       /* read command byte */
	case 0x60: k->next = NEXT_CTR; break;                    /* write command byte */
	case 0xa7: k->ctr |= CTR_AUX_DISABLE; break;
	case 0xa8: k->ctr &= (uint8_t)~CTR_AUX_DISABLE; break;
	case 0xa9: push(k, 0xff); break;                         /* aux test: no mouse here */
	case 0xaa: push(k, 0x55); break;                         /* self test passed */
	case 0xab: push(k, 0x00); break;                         /* keyboard port test passed */
	case 0xad: k->ctr |= CTR_KBD_DISABLE; break;
	case 0xae: k->ctr &= (uint8_t)~CTR_KBD_DISABLE; break;
	case 0xd0: push(k, 0x01); break;                         /* output port: reset line high */
	case 0xd1: k->next = NEXT_OUTPUT_PORT; break;
	case 0xd2: k->next = NEXT_KBD_OUTPUT; break;
	case 0xd4: k->next = NEXT_AUX; break;
	case 0xfe: return true;                                  /* pulse the reset line */
	default: break;
	}
	return false;
}

/* Bytes for the keyboard itself (port 0x60 with no controller command
 * waiting): acknowledge everything, answer identify and reset. */
static void keyboard_command(struct i8042 *k, uint8_t cmd)
{
	if (k->next == NEXT_KBD_ARG) {
		k->next = NEXT_NONE;
		push(k, ACK);  /* the argument of LEDs, typematic, scancode set */
		return;
	}
	push(k, ACK);
	switch (cmd) {
	case 0xf2:                                               /* identify: an MF2 keyboard */
		push(k, 0xab);
		push(k, (k->ctr & CTR_XLATE) ? 0x41 : 0x83);
		break;
	case 0xff: push(k, 0xaa); break;                         /* reset: self test passed */
	case 0xed: case 0xf0: case 0xf3: k->next = NEXT_KBD_ARG; break;
	default: break;
	}
}

/* Data port writes: an argument of the last controller command, or a
 * byte for the keyboard. Returns true if the machine resets. */
static bool data_write(struct i8042 *k, uint8_t v)
{
	int next = k->next;
	if (next != NEXT_KBD_ARG)
		k->next = NEXT_NONE;
	switch (next) {
	case NEXT_CTR: k->ctr = v; return false;
	case NEXT_OUTPUT_PORT: return !(v & 1);                  /* bit 0 is the reset line */
	case NEXT_KBD_OUTPUT: push(k, v); return false;
	case NEXT_AUX: return false;                             /* no mouse to hear it */
	default: keyboard_command(k, v); return false;
	}
}

static uint8_t status(const struct i8042 *k)
{
	return (uint8_t)((k->count ? STATUS_OBF : 0) | ((k->ctr & CTR_SYS) ? STATUS_SYS : 0) |
			 (k->last_was_command ? STATUS_CMD : 0) | STATUS_UNLOCKED);
}

static uint8_t data_read(struct i8042 *k)
{
	if (!k->count)
		return k->last_read;
	k->last_read = k->queue[k->head];
	k->head = (k->head + 1) % I8042_QUEUE;
	k->count--;
	k->irq_raised = false;  /* reading drops the line; the next byte is a new edge */
	return k->last_read;
}

static void access_port(struct devices *d, bool command_port, uint8_t *data, unsigned size,
			bool write)
{
	struct i8042 *k = &d->i8042;
	bool reset = false;
	pthread_mutex_lock(&k->lock);
	if (!write) {
		data[0] = command_port ? status(k) : data_read(k);
		memset(data + 1, 0, size - 1);
	} else if (command_port) {
		k->last_was_command = true;
		reset = controller_command(k, data[0]);
	} else {
		k->last_was_command = false;
		reset = data_write(k, data[0]);
	}
	update_irq(k);
	pthread_mutex_unlock(&k->lock);
	/* Firecracker (and so microVM guests) treat the reset line as "stop". */
	if (reset)
		d->stop(d->stop_opaque, SPRIG_EXIT_OK, "guest-reset");
}

void i8042_data_access(struct devices *d, uint64_t offset, uint8_t *data, unsigned size, bool write)
{
	(void)offset;
	access_port(d, false, data, size, write);
}

void i8042_command_access(struct devices *d, uint64_t offset, uint8_t *data, unsigned size,
			  bool write)
{
	(void)offset;
	access_port(d, true, data, size, write);
}

/* Ctrl-Alt-Del pressed and released, in the scancode set the guest reads:
 * set 1 when the controller translates (its power-on state), else set 2. */
int devices_send_ctrl_alt_del(struct devices *d)
{
	static const uint8_t set1[] = { 0x1d, 0x38, 0xe0, 0x53, 0xe0, 0xd3, 0xb8, 0x9d };
	static const uint8_t set2[] = { 0x14, 0x11, 0xe0, 0x71, 0xe0, 0xf0, 0x71, 0xf0, 0x11, 0xf0, 0x14 };
	struct i8042 *k = &d->i8042;
	pthread_mutex_lock(&k->lock);
	bool xlate = k->ctr & CTR_XLATE;
	const uint8_t *keys = xlate ? set1 : set2;
	size_t n = xlate ? sizeof(set1) : sizeof(set2);
	int err = 0;
	if (k->ctr & CTR_KBD_DISABLE)
		err = -EAGAIN;  /* nobody is listening: the keys would be lost */
	else if (I8042_QUEUE - k->count < n)
		err = -EBUSY;
	for (size_t i = 0; !err && i < n; i++)
		push(k, keys[i]);
	update_irq(k);
	pthread_mutex_unlock(&k->lock);
	return err;
}
