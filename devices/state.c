/* Snapshots of COM1 and the i8042 (devices.h). Loaded values come from a
 * file: every index is checked before the device uses it. The interrupt
 * line's level is kept as saved: the edge it stands for is already in the
 * in-kernel irqchip state that the snapshot restores beside it. */
#include "bus.h"

#include <errno.h>
#include <string.h>

void devices_state_save(struct devices *d, struct uart_state *u, struct i8042_state *k)
{
	struct uart *uart = &d->com1;
	uart_flush(uart);  /* what the guest wrote is out before the snapshot */
	pthread_mutex_lock(&uart->lock);
	*u = (struct uart_state){ uart->ier, uart->lcr, uart->mcr, uart->scr, uart->fcr, uart->dll, uart->dlm,
				  uart->lsr_errors, uart->msr_delta, uart->thr_pending, uart->irq_raised,
				  (uint8_t)uart->rx_head, (uint8_t)uart->rx_count, { 0 }, { 0 } };
	memcpy(u->rx, uart->rx, sizeof(u->rx));
	pthread_mutex_unlock(&uart->lock);

	struct i8042 *kbd = &d->i8042;
	pthread_mutex_lock(&kbd->lock);
	*k = (struct i8042_state){ kbd->ctr, (uint8_t)kbd->head, (uint8_t)kbd->count, kbd->last_read,
				   (uint8_t)kbd->next, kbd->last_was_command, kbd->irq_raised, 0, { 0 } };
	memcpy(k->queue, kbd->queue, sizeof(k->queue));
	pthread_mutex_unlock(&kbd->lock);
}

static bool uart_state_valid(const struct uart_state *u)
{
	return u->rx_head < UART_RX_FIFO && u->rx_count <= UART_RX_FIFO && u->thr_pending <= 1 &&
	       u->irq_raised <= 1;
}

static bool i8042_state_valid(const struct i8042_state *k)
{
	return k->head < I8042_QUEUE && k->count <= I8042_QUEUE && k->next <= I8042_NEXT_MAX &&
	       k->last_was_command <= 1 && k->irq_raised <= 1;
}

int devices_state_load(struct devices *d, const struct uart_state *u, const struct i8042_state *k)
{
	if (!uart_state_valid(u) || !i8042_state_valid(k))
		return -EINVAL;
	struct uart *uart = &d->com1;
	pthread_mutex_lock(&uart->lock);
	uart->ier = u->ier, uart->lcr = u->lcr, uart->mcr = u->mcr, uart->scr = u->scr, uart->fcr = u->fcr;
	uart->dll = u->dll, uart->dlm = u->dlm, uart->lsr_errors = u->lsr_errors, uart->msr_delta = u->msr_delta;
	uart->thr_pending = u->thr_pending, uart->irq_raised = u->irq_raised;
	uart->rx_head = u->rx_head, uart->rx_count = u->rx_count;
	memcpy(uart->rx, u->rx, sizeof(uart->rx));
	pthread_mutex_unlock(&uart->lock);

	struct i8042 *kbd = &d->i8042;
	pthread_mutex_lock(&kbd->lock);
	kbd->ctr = k->ctr, kbd->head = k->head, kbd->count = k->count, kbd->last_read = k->last_read;
	kbd->next = k->next, kbd->last_was_command = k->last_was_command, kbd->irq_raised = k->irq_raised;
	memcpy(kbd->queue, k->queue, sizeof(kbd->queue));
	pthread_mutex_unlock(&kbd->lock);
	return 0;
}
