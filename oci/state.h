/* A container's record under the runtime's root (runc's layout):
 * ROOT/ID/state.json holds what `sprig state` prints - the OCI state
 * (ociVersion, id, status, pid, bundle) plus runc's extras (rootfs,
 * created, owner) - and the start time of the pid, so that a pid reused
 * by another process is never taken for the container. */
#ifndef SPRIG_OCI_STATE_H
#define SPRIG_OCI_STATE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "spec.h"

#define OCI_ID_MAX 128
#define OCI_DEFAULT_ROOT "/run/sprig"
#define OCI_STATE_FILE "state.json"

enum oci_status { OCI_CREATING, OCI_CREATED, OCI_RUNNING, OCI_STOPPED };

struct oci_state {
	char id[OCI_ID_MAX + 1];
	char bundle[PATH_MAX];
	char rootfs[PATH_MAX];
	char created[40];       /* RFC 3339, UTC, nanoseconds */
	enum oci_status status;  /* as last recorded; see oci_state_status */
	pid_t pid;               /* the container process (sprig's monitor) */
	uint64_t pid_start;      /* its start time, /proc/PID/stat field 22 */
	int exit_status;         /* once stopped: as a shell reports it (128+N for signal N) */
};

/* runc's rule: letters, digits, '_', '+', '-', '.'; not "." or "..". */
int oci_id_check(const char *id, char *why);

/* ROOT/ID into out (PATH_MAX); -ENAMETOOLONG when it does not fit. */
int oci_state_dir(const char *root, const char *id, char *out);

/* Write DIR/state.json whole (a temporary file renamed over it: a reader
 * never sees half a record). */
int oci_state_write(const char *dir, const struct oci_state *state);

/* Read DIR/state.json; -ENOENT when there is no such container. */
int oci_state_read(const char *dir, struct oci_state *state, char *why);

/* The status now: a recorded creating/created/running whose process is
 * gone (or whose pid now names another process) is stopped. */
enum oci_status oci_state_status(const struct oci_state *state);

/* The start time of PID (/proc/PID/stat), 0 when it is gone. */
uint64_t oci_pid_start_time(pid_t pid);

const char *oci_status_name(enum oci_status status);

/* A container's folder and all in it (delete, a create that failed). */
int oci_remove_dir(const char *dir);

/* The state as `runc state` prints it (JSON, two-space indent) into buf;
 * the length, or -E2BIG. */
int oci_state_format(const struct oci_state *state, enum oci_status status, char *buf, size_t size);

#endif
