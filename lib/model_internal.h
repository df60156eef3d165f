/*
 * Internal declarations of model files (model_io.c, meta.c). The layout is documented byte for
 * byte in docs/model-format.md.
 *
 * The file writer goes through a table of file operations so that a test can make a save fail at
 * any byte, or at the fsync or the rename, without global state: nnbi_model_save_ops() with its
 * own table (tests/test_model_internal.c).
 */
#ifndef NNB_MODEL_INTERNAL_H
#define NNB_MODEL_INTERNAL_H

#include <stddef.h>
#include <sys/types.h>

#include "atomic_file.h"
#include "nnb_internal.h"

/* Format version written by this library: 1.2 for a network with convolution or pooling layers
 * (section LAYR, essential), a dense-only network with an input shape (LAYR, not essential) or a
 * preparation that fills missing cells (section FILL), else 1.1 for a float32 network and 1.0 for
 * float64 (unchanged). */
#define NNBI_MODEL_MAJOR 1u
#define NNBI_MODEL_MINOR 2u

#define NNBI_MODEL_MAGIC "\x89NNB\r\n\x1a\n"
#define NNBI_MODEL_HEADER 32u  /* magic, version, byte-order mark, size, sections, flags */
#define NNBI_MODEL_SECTION 16u /* tag, flags, payload length */
#define NNBI_MODEL_CRC 4u

/* Section flag: a reader that does not know the tag must refuse the file. */
#define NNBI_SECTION_ESSENTIAL 1u

/* Longest metadata key or value. */
#define NNBI_META_MAX_LEN (16u * 1024u * 1024u)

/* The file operations of a save: nnbi_file_ops, in atomic_file.h. */

/* nnb_model_write() with the given operations (NULL: the POSIX ones); func names the caller in
 * messages. */
nnb_status nnbi_model_save_ops(const char *path, const nnb_net *net, const nnb_prep *prep,
                               const nnb_meta *meta, int with_train_state, const nnbi_file_ops *ops,
                               const char *func);

/* Appends a pair without looking for an existing key (the loader checks for duplicates once, with
 * nnbi_meta_duplicate(), instead of once per pair). */
nnb_status nnbi_meta_append(nnb_meta *m, const char *key, size_t key_len, const char *value,
                            size_t value_len, const char *func);

/* A key that occurs twice, or NULL; *nomem = 1 if the check ran out of memory. */
const char *nnbi_meta_duplicate(const nnb_meta *m, int *nomem);

#endif
