/* The container's root filesystem as the VM's disk (rootfs.c). */
#ifndef SPRIG_OCI_ROOTFS_H
#define SPRIG_OCI_ROOTFS_H

/* Free space in the image beyond what the tree takes (sparse: costs
 * nothing until the container writes). */
#define ROOTFS_FREE_MIB 1024

/* IMAGE (created or replaced) as an ext4 filesystem holding the tree at
 * ROOTFS: 0, or -errno with `why` (OCI_WHY_SIZE). */
int rootfs_make_image(const char *rootfs, const char *image, char *why);

#endif
