/**
 * @file nnblas.h
 * nnblas — dense neural networks on a CPU, trained with OpenBLAS.
 *
 * The one public header. Everything the library exports starts with nnb_ (functions) or NNB_
 * (macros, enum constants); types are nnb_<noun>.
 *
 * Conventions that hold for every function below:
 *  - All matrices are dense, row-major (C-contiguous) arrays of double. A batch X is
 *    n_rows x n_inputs; a layer's W is n_out x n_in (the PyTorch nn.Linear convention); b has
 *    n_out. A C-contiguous float64 numpy array passes straight in.
 *  - Sizes are size_t. Every dimension handed to OpenBLAS must fit its 32-bit int; larger ones are
 *    refused with NNB_E_TOO_LARGE before anything is computed.
 *  - Fallible functions return nnb_status (an int-sized enum: NNB_OK = 0, errors > 0). On failure
 *    nnb_last_error() holds a message with context, e.g.
 *    "nnb_net_forward: x has 7 columns, the network expects 8".
 *  - Constructors write the new handle through an out-pointer, which is set to NULL on failure.
 *    Destructors return nothing and accept NULL.
 *  - Inputs are const double *; outputs go to caller buffers whose length is passed and checked.
 *    No function returns a pointer into internal scratch space, except the documented
 *    nnb_net_params_data() view.
 *  - The library never aborts on a caller's mistake, and never prints.
 *  - Names follow one rule (CONTRIBUTING.md, "Naming"): nnb_<object>_<verb>, handles made are
 *    the first parameters and every other result comes last, counts are n_<things>, every setter
 *    has its getter, float variants end in _f32.
 *
 * Tiers: everything below is stable (changed only through a deprecation, never silently) except
 * the "Convenience" section, whose answers (defaults) may change in a minor release, and the
 * "Experimental" section, declared only when the caller defines NNB_EXPERIMENTAL, which may
 * change in any release. Renamed functions keep their old names, deprecated, until 1.0.
 *
 * Threads: nnblas keeps no mutable global state after its one-time initialisation (the kernel
 * choice, made under pthread_once). A handle may be used by one thread at a time; different handles
 * may be used concurrently. nnb_net_predict() only reads the network, so many threads may predict
 * from one shared network at once. The matrix products run inside OpenBLAS, whose own thread pool
 * is process-wide: see nnb_set_num_threads().
 *
 * A 15-line tour:
 *
 *     nnb_net *net = NULL;
 *     nnb_net_create(&net, 2);                                  // 2 inputs
 *     nnb_net_add_dense(net, 8, NNB_ACT_TANH, 1);               // hidden layer, with bias
 *     nnb_net_add_dense(net, 1, NNB_ACT_SIGMOID, 1);            // output layer
 *     nnb_net_init(net, NNB_INIT_XAVIER_UNIFORM, 42);           // seeded weights
 *     double x[8] = {0,0, 0,1, 1,0, 1,1}, y[4] = {0, 1, 1, 0};
 *     double loss;
 *     for (int epoch = 0; epoch < 2000; epoch++) {
 *         nnb_net_backprop(net, x, 4, 2, y, 1, NNB_LOSS_BCE, NNB_REDUCTION_MEAN, &loss, NULL, 0);
 *         nnb_net_sgd_step(net, 0.5, NULL, 0);                  // theta -= 0.5 * gradient
 *     }
 *     double out[4];
 *     nnb_net_predict(net, x, 4, 2, out, 4);
 *     nnb_net_free(net);
 */
#ifndef NNBLAS_H
#define NNBLAS_H

#include <stddef.h>
#include <stdint.h>

#include "nnblas_version.h"

/* NNB_API marks a declaration as part of the library's exported interface (symbol visibility: the
 * library is built with hidden visibility and exports only what carries this mark). */
#if defined(_WIN32) || defined(__CYGWIN__)
#  if defined(BUILDING_NNBLAS)
#    define NNB_API __declspec(dllexport)
#  else
#    define NNB_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define NNB_API __attribute__((visibility("default")))
#else
#  define NNB_API
#endif

/* NNB_DEPRECATED(msg) marks a declaration as deprecated: the compiler warns where it is used, with
 * msg, which names what to use instead. The deprecated names are declared in the last section of
 * this header (docs/guide.md, "Deprecated names"); a project chooses what it sees of them by
 * defining, before including this header:
 *   NNB_DISABLE_DEPRECATION_WARNINGS  the old names stay usable, without warnings;
 *   NNB_NO_DEPRECATED                 the old names are not declared at all, so that any use is
 *                                     an error (to check that a project no longer uses any).
 * Neither changes the library, which exports the old names until 1.0. */
#if defined(NNB_DISABLE_DEPRECATION_WARNINGS)
#  define NNB_DEPRECATED(msg)
#elif defined(__GNUC__) || defined(__clang__)
#  define NNB_DEPRECATED(msg) __attribute__((deprecated(msg)))
#elif defined(_MSC_VER)
#  define NNB_DEPRECATED(msg) __declspec(deprecated(msg))
#else
#  define NNB_DEPRECATED(msg)
#endif
/* NNB_DEPRECATED_FOR(f): an old name of f, the same function. NNB_DEPRECATED_MOVED(f): an old
 * function whose parameters f takes in another order. */
#define NNB_DEPRECATED_FOR(f) \
  NNB_DEPRECATED("use " #f "(), the same function renamed (the old name goes at 1.0)")
#define NNB_DEPRECATED_MOVED(f) \
  NNB_DEPRECATED("use " #f "(), whose parameters are in another order (the old name goes at 1.0)")

#ifdef __cplusplus
extern "C" {
#endif

/* ============================================================================================== */
/* Status codes and errors                                                                        */
/* ============================================================================================== */

/**
 * Result of every fallible call. The values are fixed and the list only ever grows at the end
 * (ABI); an FFI caller can treat it as a C int.
 */
typedef enum nnb_status {
    NNB_OK = 0,             /**< success */
    NNB_E_NOMEM = 1,        /**< an allocation failed */
    NNB_E_INVALID_ARG = 2,  /**< an argument is out of range or the combination makes no sense */
    NNB_E_NULL = 3,         /**< a required pointer was NULL */
    NNB_E_SHAPE = 4,        /**< array sizes do not match the network or each other */
    NNB_E_NONFINITE = 5,    /**< NaN or infinity where finite numbers are required */
    NNB_E_TOO_LARGE = 6,    /**< a size exceeds what OpenBLAS (32-bit int) or memory can index */
    NNB_E_IO = 7,           /**< reading or writing a file failed */
    NNB_E_FORMAT = 8,       /**< malformed input data or file */
    NNB_E_VERSION = 9,      /**< a file written by a newer, incompatible version */
    NNB_E_CHECKSUM = 10,    /**< a file's checksum does not match its contents */
    NNB_E_CANCELLED = 11,   /**< a callback asked to stop */
    NNB_E_UNSUPPORTED = 12, /**< the request is valid but not supported here (e.g. a CPU feature) */
    NNB_E_STATE = 13,       /**< the object is not in a state that allows the call */
    NNB_E_INTERNAL = 14,    /**< a bug in nnblas; please report it */
    NNB_E_COMM = 15         /**< a data-parallel all-reduce failed (Since 0.1) */
} nnb_status;

/**
 * Static English text for a status ("shape mismatch"). Never NULL; unknown values give
 * "unknown status". Thread-safe. Since 0.1.
 * @param status any value, known or not
 * @return a static string, never NULL.
 */
NNB_API const char *nnb_status_string(nnb_status status);

/**
 * @brief The enumerator's name ("NNB_E_SHAPE"), the status's entry in the shared vocabulary.
 * @param status a status.
 * @return a static string; "NNB_E_UNKNOWN" (never NULL, unlike the other *_name() functions)
 *         for an unknown value. Thread-safe. Since 0.1.
 */
NNB_API const char *nnb_status_name(nnb_status status);

/**
 * @brief Parses a status name: "NNB_E_COMM", or without its prefix ("E_COMM", "comm", "ok"),
 *        case-insensitive, '-' and '_' alike.
 * @param text the name (NUL-terminated).
 * @param out receives the status; unchanged on failure.
 * @return NNB_OK; NNB_E_NULL (text or out); NNB_E_INVALID_ARG (unknown: the message lists the
 *         names and suggests the nearest). Thread-safe. Since 0.1.
 */
NNB_API nnb_status nnb_status_parse(const char *text, nnb_status *out);

/**
 * @brief The number of status values (NNB_OK = 0 up to this minus 1), for enumerating them.
 * @return the count. Since 0.2 (formerly nnb_status_count(), Since 0.1).
 */
NNB_API size_t nnb_status_n_values(void);

/**
 * @brief The name among `names` that `text` most likely misspells, for "did you mean ...?"
 *        messages (unknown columns, options, values).
 *
 * Names are compared case-insensitively with '-' and '_' alike, by the optimal-string-alignment
 * edit distance (insertions, deletions, substitutions and swaps of neighbours count 1). The
 * nearest name is returned when its distance d is below the length L of text and at most
 * 1 + L / 4 (so at most 3 for names up to 15 characters); otherwise, when text (3 characters
 * or more) begins exactly one name, that name. Ties go to the earlier name. An exact match (after
 * folding) is returned too. Names longer than 255 bytes, and NULL entries, are skipped.
 * @param text what was given.
 * @param names the accepted names (entries may be NULL).
 * @param n_names the number of entries of names.
 * @return an element of names, or NULL when none is close (or text or names is NULL).
 *         Thread-safe; allocates nothing. Since 0.2 (formerly nnb_nearest_name(), Since 0.1).
 */
NNB_API const char *nnb_name_find_nearest(const char *text, const char *const *names,
                                          size_t n_names);

/**
 * The message of the last failed call made on this thread, with context; "" if none.
 * Like errno it is meaningful only right after a call returned an error: success does not clear it
 * and reading it does not clear it. The storage is thread-local and owned by the library; the
 * pointer stays valid until the next nnblas call on this thread. Since 0.1.
 * @return this thread's message, "" if none; never NULL.
 */
NNB_API const char *nnb_last_error(void);

/** Empties this thread's last-error message. Since 0.1. */
NNB_API void nnb_clear_error(void);

/* nnb_set_error(), for companion libraries and bindings, is in the experimental tier below. */

/* ============================================================================================== */
/* Versions, CPU kernels, threads                                                                 */
/* ============================================================================================== */

/**
 * The release version of the library that is running, e.g. "0.1.0". Since 0.1.
 * @return a static string, never NULL.
 */
NNB_API const char *nnb_version_string(void);

/**
 * The running library's NNB_VERSION_NUMBER (MAJOR*10000 + MINOR*100 + PATCH). Since 0.1.
 * @return MAJOR*10000 + MINOR*100 + PATCH of the running library.
 */
NNB_API unsigned nnb_version_number(void);

/**
 * Name of the element-wise kernel set in use: "scalar", "avx2" or "avx512". It is chosen once per
 * process: the best the CPU supports (AVX-512 F/DQ/VL/BW, else AVX2 with FMA, else scalar), or
 * the set named by the environment variable NNBLAS_ISA (scalar|avx2|avx512) when set.
 * If NNBLAS_ISA names a set this CPU or build cannot run, or an unknown name, the kernels stay
 * unchosen: this returns "unavailable" and every call that needs the kernels fails with
 * NNB_E_UNSUPPORTED and a message.
 *
 * Accuracy, against a long-double reference (the tests hold every set to these bounds over dense
 * samples of [-750, 750], subnormals and special values): sigmoid is within 2.5 ulp in every
 * set; tanh within 1 ulp in "avx2" and "avx512" (our own exp-based tanh) and within 2.5 ulp in
 * "scalar" (libm's tanh). The largest errors measured are in docs/performance.md.
 * Sigmoid never overflows, is exactly 0 or 1 only where the true value rounds there (subnormal
 * down to x = -745.13), and gives NaN for NaN. Element-wise results are the same in "avx2" and
 * "avx512", and those without exp/log are the same in all three sets; sums (losses, softmax
 * normalisation) are accumulated per vector lane, in a different order in each set. So the same
 * training under two sets agrees to about 1e-13 relative, not bit for bit.
 * Thread-safe. Since 0.1.
 * @return "scalar", "avx2", "avx512", or "unavailable"; a static string.
 */
NNB_API const char *nnb_kernel_isa(void);

/**
 * Sets the number of threads OpenBLAS uses for matrix products (openblas_set_num_threads). This is
 * process-wide, because OpenBLAS's pool is: it affects every network in the process and other
 * OpenBLAS users in it. n_threads = 0 restores the default (OPENBLAS_NUM_THREADS, else one per
 * core). Call it between training runs, not concurrently with one. nnblas's own element-wise work
 * is single-threaded with a fixed order, but a different OpenBLAS thread count changes the last
 * bits of matrix products (docs/guide.md, "Determinism"): fix it along with the seed for
 * reproducible runs. A network with convolution or pooling layers trains on n threads of its
 * own instead (each batch in n parts, OpenBLAS held at one thread while the run goes on; a call
 * made meanwhile takes effect when it ends; docs/guide.md, "Threads"). Returns
 * NNB_E_INVALID_ARG for n_threads < 0. Since 0.1.
 * @param n_threads the thread count (>= 1), or 0 for the default
 * @return NNB_OK; NNB_E_INVALID_ARG (n_threads < 0).
 */
NNB_API nnb_status nnb_set_num_threads(int n_threads);

/**
 * The number of threads OpenBLAS will use (during a convolutional network's training, which
 * holds OpenBLAS at one thread, the count it will have again). Since 0.1.
 * @return OpenBLAS's current thread count (>= 1).
 */
NNB_API int nnb_get_num_threads(void);

/**
 * @brief Names a flag whose becoming non-zero interrupts the calling thread's long calls.
 *
 * After this call, the long loops that this thread runs in the library poll `*flag` between
 * blocks of work and, once it is non-zero, stop and return NNB_E_CANCELLED ("interrupted"): a
 * training run (nnb_train() stops between two batches, exactly as after
 * nnb_train_opts_request_stop(), and can be resumed), a prediction (between blocks of rows),
 * reading an input (nnb_read_input(), nnb_csv_read(), nnb_model_load(): between reads, so also a
 * read blocked on a pipe that a signal interrupts), parsing a CSV text and applying a
 * preparation (every 65,536 rows). Set the flag from a signal handler (SIGINT, SIGTERM) or from
 * another thread: it is only read, never written, by the library; declare it `volatile
 * sig_atomic_t` (an int) for a signal handler. Outputs of an interrupted call are left partly
 * written or unset as on any other failure. The flag is per thread (thread-local): other threads
 * are not affected. The Python binding uses it to make Ctrl-C stop its long calls. Since 0.2.
 *
 * @param flag the flag to poll, or NULL to stop polling (the default); it must stay valid while
 *             it is named
 */
NNB_API void nnb_set_interrupt_flag(const volatile int *flag);

/**
 * @brief The interrupt flag the calling thread named with nnb_set_interrupt_flag(), or NULL.
 * Since 0.2.
 * @return the flag's address, or NULL.
 */
NNB_API const volatile int *nnb_get_interrupt_flag(void);

/* ============================================================================================== */
/* Networks                                                                                       */
/* ============================================================================================== */

/** An opaque network: a stack of layers (dense, convolution, pooling), its parameters, its
 * generator and its workspace. */
typedef struct nnb_net nnb_net;

/** Activation functions. Softmax is allowed only on the output layer. */
typedef enum nnb_activation {
    NNB_ACT_IDENTITY = 0,   /**< z: no activation (a linear layer) */
    NNB_ACT_SIGMOID = 1,    /**< 1/(1+e^-z), stable for any z */
    NNB_ACT_TANH = 2,       /**< tanh(z) */
    NNB_ACT_RELU = 3,       /**< max(0, z) */
    NNB_ACT_LEAKY_RELU = 4, /**< z for z > 0, slope*z otherwise (slope 0.01 unless set) */
    NNB_ACT_SOFTMAX = 5     /**< row-wise, max-subtracted; output layer only */
} nnb_activation;

/**
 * @brief The canonical name of a activation: identity, sigmoid, tanh, relu, leaky_relu, softmax
 *        (lowercase, the enumerator's suffix; the shared vocabulary of the command and bindings).
 * @param value a nnb_activation value.
 * @return a static string, or NULL if value is out of range. Thread-safe. Since 0.1.
 */
NNB_API const char *nnb_activation_name(nnb_activation value);

/**
 * @brief Parses a activation name: a canonical name (nnb_activation_name()) or an alias
 *        (linear (identity), logistic (sigmoid), leaky (leaky_relu)), case-insensitive, '-' and '_' alike.
 * @param text the name (NUL-terminated).
 * @param out receives the value; unchanged on failure.
 * @return NNB_OK; NNB_E_NULL (text or out); NNB_E_INVALID_ARG (unknown: the message lists the
 *         accepted names and suggests the nearest). Thread-safe. Since 0.1.
 */
NNB_API nnb_status nnb_activation_parse(const char *text, nnb_activation *out);

/**
 * @brief The number of nnb_activation values (they run from 0 to this minus 1), for enumerating them.
 * @return the count. Since 0.2 (formerly nnb_activation_count(), Since 0.1).
 */
NNB_API size_t nnb_activation_n_values(void);

/** Weight-initialisation schemes. Biases always start at 0. */
typedef enum nnb_init {
    NNB_INIT_NORMAL_FANIN = 0,   /**< Normal(0, 1/sqrt(fan_in)): the tutorial's */
    NNB_INIT_XAVIER_UNIFORM = 1, /**< Uniform(-a, a), a = sqrt(6/(fan_in+fan_out)) (Glorot) */
    NNB_INIT_HE_NORMAL = 2,      /**< Normal(0, sqrt(2/fan_in)) (He/Kaiming) */
    NNB_INIT_ORTHOGONAL =
        3 /**< (semi-)orthogonal rows or columns from the QR of a Gaussian matrix */
} nnb_init;

/**
 * @brief The canonical name of a initialisation scheme: normal_fanin, xavier_uniform, he_normal, orthogonal
 *        (lowercase, the enumerator's suffix; the shared vocabulary of the command and bindings).
 * @param value a nnb_init value.
 * @return a static string, or NULL if value is out of range. Thread-safe. Since 0.1.
 */
NNB_API const char *nnb_init_name(nnb_init value);

/**
 * @brief Parses a initialisation scheme name: a canonical name (nnb_init_name()) or an alias
 *        (normal, lecun_normal (normal_fanin), xavier, glorot, glorot_uniform (xavier_uniform), he, kaiming, kaiming_normal (he_normal)), case-insensitive, '-' and '_' alike.
 * @param text the name (NUL-terminated).
 * @param out receives the value; unchanged on failure.
 * @return NNB_OK; NNB_E_NULL (text or out); NNB_E_INVALID_ARG (unknown: the message lists the
 *         accepted names and suggests the nearest). Thread-safe. Since 0.1.
 */
NNB_API nnb_status nnb_init_parse(const char *text, nnb_init *out);

/**
 * @brief The number of nnb_init values (they run from 0 to this minus 1), for enumerating them.
 * @return the count. Since 0.2 (formerly nnb_init_count(), Since 0.1).
 */
NNB_API size_t nnb_init_n_values(void);

/**
 * Creates an empty network for n_inputs inputs. Add layers with nnb_net_add_dense().
 * The network's generator starts from seed 0; nnb_net_init() or nnb_net_seed() reseed it.
 * @return NNB_OK; NNB_E_NULL (out NULL); NNB_E_INVALID_ARG (n_inputs 0);
 *         NNB_E_TOO_LARGE (n_inputs > INT_MAX); NNB_E_NOMEM;
 *         NNB_E_UNSUPPORTED (NNBLAS_ISA names kernels this machine cannot run).
 * Ownership: free with nnb_net_free(). Since 0.1.
 * @param out      receives the new network (NULL on failure)
 * @param n_inputs the number of inputs (columns of X), >= 1
 */
NNB_API nnb_status nnb_net_create(nnb_net **out, size_t n_inputs);

/**
 * Frees a network and everything it owns. NULL is a no-op. Since 0.1.
 * @param net the network, or NULL
 */
NNB_API void nnb_net_free(nnb_net *net);

/**
 * A network's element type: the type of its parameters, gradients, optimiser state and
 * workspaces, chosen when it is created and kept for its life. Float64 is the default and the
 * reference; float32 halves the memory and runs every matrix product as cblas_sgemm (about twice
 * as fast), with about 7 significant digits instead of 16 (docs/guide.md, "Precision").
 * Every entry point taking double arrays has a float twin with the suffix _f32; either works with
 * either type: when the data's type differs from the network's, the rows are converted a batch at
 * a time, never as a whole copy.
 */
typedef enum nnb_dtype {
    NNB_F64 = 0, /**< float64 (double): the default */
    NNB_F32 = 1  /**< float32 (float) */
} nnb_dtype;

/**
 * @brief The canonical name of an element type: f64, f32 (the shared vocabulary of the command
 *        and bindings).
 * @param value a nnb_dtype value.
 * @return a static string, or NULL if value is out of range. Thread-safe. Since 0.2.
 */
NNB_API const char *nnb_dtype_name(nnb_dtype value);

/**
 * @brief Parses an element-type name: a canonical name (nnb_dtype_name()) or an alias (float64,
 *        double (f64); float32, single (f32)), case-insensitive, '-' and '_' alike.
 *
 * "float" is refused: it is C's float (float32) but numpy's and Python's float (float64), so
 * the message names both and asks for f32 or f64.
 * @param text the name (NUL-terminated).
 * @param out receives the value; unchanged on failure.
 * @return NNB_OK; NNB_E_NULL (text or out); NNB_E_INVALID_ARG (unknown, or the ambiguous
 *         "float": the message lists the accepted names and suggests the nearest, or says what
 *         "float" means where). Thread-safe. Since 0.2.
 */
NNB_API nnb_status nnb_dtype_parse(const char *text, nnb_dtype *out);

/**
 * @brief The number of nnb_dtype values (they run from 0 to this minus 1), for enumerating them.
 * @return the count. Since 0.2 (formerly nnb_dtype_count()).
 */
NNB_API size_t nnb_dtype_n_values(void);

/**
 * Like nnb_net_create(), for a network of element type `dtype`. nnb_net_create() is this with
 * NNB_F64. A float32 network draws the same initial weights as a float64 one of the same seed,
 * rounded to float32.
 * @param out receives the network (NULL on failure)
 * @param n_inputs number of inputs (1 .. INT_MAX)
 * @param dtype NNB_F64 or NNB_F32
 * @return as nnb_net_create(), and NNB_E_INVALID_ARG for an unknown dtype. Since 0.2.
 */
NNB_API nnb_status nnb_net_create_dtype(nnb_net **out, size_t n_inputs, nnb_dtype dtype);

/**
 * @brief The element type of a network.
 * @param net the network (NULL gives NNB_F64)
 * @return NNB_F64 or NNB_F32. Since 0.2.
 */
NNB_API nnb_dtype nnb_net_dtype(const nnb_net *net);

/**
 * @brief A new network, a copy of `src` in element type `dtype`: layers, parameters (rounded to
 * nearest when narrowing), the generator, the check-finite flag and the training state (optimiser
 * moments converted, counters kept), so training continues in the other type. dtype
 * nnb_net_dtype(src) gives an exact copy. The gradient is not copied (it starts at 0).
 * @param out receives the new network, to free with nnb_net_free() (NULL on failure)
 * @param src the network to copy (not changed)
 * @param dtype the new network's type
 * @return NNB_OK; NNB_E_NULL; NNB_E_INVALID_ARG (unknown dtype); NNB_E_NOMEM;
 *         NNB_E_NONFINITE (a float64 parameter beyond float32's range). Since 0.2 (formerly
 *         nnb_net_convert()).
 */
NNB_API nnb_status nnb_net_copy(nnb_net **out, const nnb_net *src, nnb_dtype dtype);

/**
 * Appends a dense layer of `n_units` outputs whose inputs are the previous layer's outputs (or the
 * network's inputs). has_bias is 0 or 1. The new layer's weights are drawn at once with
 * NNB_INIT_NORMAL_FANIN from the network's generator and its bias is 0, so a network is usable
 * without nnb_net_init(); call that to choose a scheme and seed.
 * The parameter arena grows: a pointer from nnb_net_params_data() is invalid afterwards.
 * @return NNB_OK; NNB_E_NULL; NNB_E_INVALID_ARG (n_units 0, unknown activation, has_bias not 0/1,
 *         a layer after a softmax layer); NNB_E_TOO_LARGE; NNB_E_NOMEM (the network is unchanged).
 * Since 0.1.
 * @param net      the network to extend
 * @param n_units  the layer's outputs, >= 1
 * @param act      the layer's activation
 * @param has_bias 1 for a bias vector, 0 for none
 */
NNB_API nnb_status nnb_net_add_dense(nnb_net *net, size_t n_units, nnb_activation act,
                                     int has_bias);

/**
 * Sets the negative-side slope of a leaky-ReLU layer (default 0.01). Must be finite and >= 0.
 * @return NNB_OK; NNB_E_NULL; NNB_E_INVALID_ARG (bad layer index, slope, or not a leaky-ReLU
 *         layer). Since 0.1.
 * @param net   the network
 * @param layer the layer index (0-based), a leaky-ReLU layer
 * @param slope the slope for z <= 0, finite and >= 0
 */
NNB_API nnb_status nnb_net_set_leaky_slope(nnb_net *net, size_t layer, double slope);

/**
 * @brief The negative-side slope of a leaky-ReLU layer (the getter of nnb_net_set_leaky_slope()).
 * @param net   the network
 * @param layer the layer index (0-based), a leaky-ReLU layer
 * @param slope receives the slope; may be NULL
 * @return NNB_OK; NNB_E_NULL (net); NNB_E_INVALID_ARG (no such layer, or not a leaky-ReLU layer).
 *         Since 0.2.
 */
NNB_API nnb_status nnb_net_get_leaky_slope(const nnb_net *net, size_t layer, double *slope);

/**
 * Number of inputs; 0 if net is NULL. Since 0.1.
 * @param net the network, or NULL
 * @return the count; 0 if net is NULL.
 */
NNB_API size_t nnb_net_n_inputs(const nnb_net *net);
/**
 * Number of outputs of the last layer (the inputs while there are no layers); 0 if NULL. Since 0.1.
 * @param net the network, or NULL
 * @return the count; 0 if net is NULL.
 */
NNB_API size_t nnb_net_n_outputs(const nnb_net *net);
/**
 * Number of layers; 0 if NULL. Since 0.1.
 * @param net the network, or NULL
 * @return the count; 0 if net is NULL.
 */
NNB_API size_t nnb_net_n_layers(const nnb_net *net);
/**
 * Total number of parameters (every W and b); 0 if NULL. Since 0.1.
 * @param net the network, or NULL
 * @return the count; 0 if net is NULL.
 */
NNB_API size_t nnb_net_n_params(const nnb_net *net);

/**
 * Describes layer `layer` (0-based). Any out-pointer may be NULL.
 * w_offset and b_offset locate W (n_out*n_in values, row-major) and b (n_out values) in the flat
 * parameter vector; b_offset is meaningless (set to w_offset + n_out*n_in) when has_bias is 0.
 * The arena holds layer after layer, each W then b. For a convolution n_in and n_out are one
 * sample's input and output values (C·H·W), W is n_filters x C x kernel_h x kernel_w and b has
 * n_filters values (nnb_net_layer_window()); a pooling layer has no parameters (w_offset =
 * b_offset, nnb_net_layer_n_params() 0).
 * @return NNB_OK; NNB_E_NULL (net); NNB_E_INVALID_ARG (layer out of range). Since 0.1.
 * @param net      the network
 * @param layer    the layer index (0-based)
 * @param n_in     receives the layer's inputs; may be NULL
 * @param n_out    receives the layer's outputs; may be NULL
 * @param act      receives the activation; may be NULL
 * @param has_bias receives 1 with a bias, else 0; may be NULL
 * @param w_offset receives the offset of W in the parameter vector; may be NULL
 * @param b_offset receives the offset of b; may be NULL
 */
NNB_API nnb_status nnb_net_layer_info(const nnb_net *net, size_t layer, size_t *n_in, size_t *n_out,
                                      nnb_activation *act, int *has_bias, size_t *w_offset,
                                      size_t *b_offset);

/* ---- Convolutional networks: images, convolution and pooling layers (since 0.2) -------------- */

/**
 * @brief The window of a convolution or pooling layer: its size, its stride and the zero padding
 *        around the input (convolutions only; a pooling takes none).
 *
 * Images are NCHW, as in PyTorch and ONNX: one sample (a row of X) is C planes of H x W values,
 * channel-major. Output rows = (H + pad_top + pad_bottom - kernel_h) / stride_h + 1 (the
 * rows no window reaches are left out, PyTorch's floor mode), and so for columns. With
 * `same` = 1 the four paddings are ignored and chosen so that the output has ceil(H / stride_h)
 * x ceil(W / stride_w) values (the odd one after the input, as PyTorch's and TensorFlow's "same");
 * nnb_net_layer_window() reports the paddings chosen. Since 0.2.
 */
typedef struct nnb_window {
    size_t kernel_h;   /**< the window's rows, >= 1 */
    size_t kernel_w;   /**< the window's columns, >= 1 */
    size_t stride_h;   /**< its step down, >= 1 */
    size_t stride_w;   /**< its step across, >= 1 */
    size_t pad_top;    /**< rows of zeros above the input (convolutions only) */
    size_t pad_bottom; /**< rows of zeros below the input (convolutions only) */
    size_t pad_left;   /**< columns of zeros left of the input (convolutions only) */
    size_t pad_right;  /**< columns of zeros right of the input (convolutions only) */
    int same;          /**< 1: "same" padding (convolutions only), the four paddings are ignored */
} nnb_window;

/**
 * @brief Sets the shape of one sample (a row of X): `channels` planes of `height` x `width`
 *        values, channel-major (NCHW without the N). Convolution and pooling layers need it;
 *        nnb_net_create() makes it n_inputs x 1 x 1.
 * @param net      the network, without layers yet
 * @param channels the planes, >= 1
 * @param height   the rows of a plane, >= 1
 * @param width    the columns of a plane, >= 1
 * @return NNB_OK; NNB_E_NULL (net); NNB_E_INVALID_ARG (a zero size, or the network already has
 *         layers); NNB_E_SHAPE (channels x height x width is not the network's n_inputs, or
 *         overflows). Since 0.2.
 */
NNB_API nnb_status nnb_net_set_input_shape(nnb_net *net, size_t channels, size_t height,
                                           size_t width);

/**
 * @brief The shape of one sample (the getter of nnb_net_set_input_shape()). Any out-pointer may
 *        be NULL.
 * @param net      the network
 * @param channels receives the planes
 * @param height   receives the rows of a plane
 * @param width    receives the columns of a plane
 * @return NNB_OK; NNB_E_NULL (net). Since 0.2.
 */
NNB_API nnb_status nnb_net_get_input_shape(const nnb_net *net, size_t *channels, size_t *height,
                                           size_t *width);

/**
 * @brief Appends a 2-D convolution: `n_filters` filters of window->kernel_h x kernel_w over
 *        every channel of the previous layer's output (or of the input shape), then the
 *        activation. Its output has n_filters channels.
 *
 * The parameters (nnb_net_layer_info(), nnb_net_layer_get()) are W as n_filters x C x kernel_h
 * x kernel_w (PyTorch's and ONNX's OIHW order), then b (n_filters). Weights are drawn as for a
 * dense layer with fan_in = C kernel_h kernel_w and fan_out = n_filters kernel_h kernel_w.
 * Forward and backward passes are GEMMs over chunks of the batch (im2col and col2im).
 * @param net       the network
 * @param n_filters the output channels, >= 1
 * @param window    the kernel, stride and padding (see nnb_window)
 * @param act       the activation (softmax only on the output layer)
 * @param has_bias  1 for a bias per filter, 0 for none
 * @return NNB_OK; NNB_E_NULL (net, window); NNB_E_INVALID_ARG (a zero size, kernel or stride,
 *         no filters, an unknown activation, has_bias not 0 or 1, a layer after a softmax
 *         layer); NNB_E_SHAPE (the kernel is larger than the padded input); NNB_E_TOO_LARGE (the
 *         sizes overflow, or pass OpenBLAS's 32-bit int); NNB_E_NOMEM. All before anything is
 *         allocated; the network is unchanged on failure. Since 0.2.
 */
NNB_API nnb_status nnb_net_add_conv2d(nnb_net *net, size_t n_filters, const nnb_window *window,
                                      nnb_activation act, int has_bias);

/**
 * @brief Appends a max pooling layer: each output is the largest value of its window, channel by
 *        channel (the first largest; a NaN wins, as PyTorch). No parameters, no activation.
 * @param net    the network
 * @param window the window and stride; its paddings must be 0 and `same` 0
 * @return NNB_OK; NNB_E_NULL; NNB_E_INVALID_ARG (a zero size or stride, padding, a layer after a
 *         softmax layer); NNB_E_SHAPE (the window is larger than the input); NNB_E_TOO_LARGE;
 *         NNB_E_NOMEM. Since 0.2.
 */
NNB_API nnb_status nnb_net_add_maxpool(nnb_net *net, const nnb_window *window);

/**
 * @brief Appends an average pooling layer: each output is the mean of its window, channel by
 *        channel. No parameters, no activation.
 * @param net    the network
 * @param window the window and stride; its paddings must be 0 and `same` 0
 * @return as nnb_net_add_maxpool(). Since 0.2.
 */
NNB_API nnb_status nnb_net_add_avgpool(nnb_net *net, const nnb_window *window);

/**
 * @brief The kind of a layer: "dense", "conv2d", "maxpool" or "avgpool".
 * @param net   the network
 * @param layer the layer index (0-based)
 * @return a static string; NULL when net is NULL or there is no such layer. Since 0.2.
 */
NNB_API const char *nnb_net_layer_kind(const nnb_net *net, size_t layer);

/**
 * @brief The shape of one sample of a layer's output: `channels` planes of `height` x `width`
 *        (a dense layer's is n_out x 1 x 1). A layer's input shape is the previous layer's
 *        output shape, or nnb_net_get_input_shape(). A dense layer after a convolution or pooling
 *        sees its output flattened in this channel-major order. Any out-pointer may be NULL.
 * @param net      the network
 * @param layer    the layer index (0-based)
 * @param channels receives the planes
 * @param height   receives the rows of a plane
 * @param width    receives the columns of a plane
 * @return NNB_OK; NNB_E_NULL (net); NNB_E_INVALID_ARG (no such layer). Since 0.2.
 */
NNB_API nnb_status nnb_net_layer_shape(const nnb_net *net, size_t layer, size_t *channels,
                                       size_t *height, size_t *width);

/**
 * @brief The number of parameters of a layer (its W and b; 0 for a pooling layer).
 * @param net   the network
 * @param layer the layer index (0-based)
 * @return the count; 0 when net is NULL or there is no such layer. Since 0.2.
 */
NNB_API size_t nnb_net_layer_n_params(const nnb_net *net, size_t layer);

/**
 * @brief The window of a convolution or pooling layer, with its paddings resolved (`same` is 0
 *        in what comes back), and a convolution's number of filters (0 for a pooling).
 * @param net       the network
 * @param layer     the layer index (0-based), a convolution or pooling layer
 * @param window    receives the window; may be NULL
 * @param n_filters receives the filters; may be NULL
 * @return NNB_OK; NNB_E_NULL (net); NNB_E_INVALID_ARG (no such layer, or a dense layer).
 *         Since 0.2.
 */
NNB_API nnb_status nnb_net_layer_window(const nnb_net *net, size_t layer, nnb_window *window,
                                        size_t *n_filters);

/**
 * Reseeds the network's generator (splitmix64 -> xoshiro256**) without touching the weights.
 * Training draws its shuffles and dropout masks from this generator. Since 0.1.
 * @return NNB_OK; NNB_E_NULL.
 * @param net  the network
 * @param seed the generator's new seed
 */
NNB_API nnb_status nnb_net_seed(nnb_net *net, uint64_t seed);

/**
 * Reseeds the generator with `seed`, then draws every layer's weights with `scheme` (layer by
 * layer, W in row-major order) and sets every bias to 0. The same seed gives the same weights on
 * every platform.
 * @return NNB_OK; NNB_E_NULL; NNB_E_INVALID_ARG (unknown scheme); NNB_E_NOMEM;
 *         NNB_E_INTERNAL (LAPACK failed, orthogonal only). Since 0.1.
 * @param net    the network
 * @param scheme the initialisation scheme
 * @param seed   the generator's new seed
 */
NNB_API nnb_status nnb_net_init(nnb_net *net, nnb_init scheme, uint64_t seed);

/**
 * Copies the whole parameter vector (nnb_net_n_params() values) out to dst / in from src.
 * @return NNB_OK; NNB_E_NULL; NNB_E_SHAPE (len != nnb_net_n_params()); set also
 *         NNB_E_NONFINITE if src holds NaN or infinity. Since 0.1.
 * @param net the network
 * @param dst receives the parameters
 * @param len the length of dst: nnb_net_n_params()
 */
NNB_API nnb_status nnb_net_params_get(const nnb_net *net, double *dst, size_t len);
/**
 * Copies a whole parameter vector into the network (see nnb_net_params_get()). Since 0.1.
 * @param net the network
 * @param src the new parameters, in the layout of nnb_net_layer_info()
 * @param len the length of src: nnb_net_n_params()
 * @return NNB_OK; NNB_E_NULL; NNB_E_SHAPE (len != nnb_net_n_params()); NNB_E_NONFINITE (NaN or
 *         infinity in src; nothing is changed).
 */
NNB_API nnb_status nnb_net_params_set(nnb_net *net, const double *src, size_t len);

/**
 * A borrowed view of the parameter arena (writable), for zero-copy access from bindings.
 * *n_params (if not NULL) receives nnb_net_n_params(). The pointer is valid until the network is
 * freed or a layer is added; writing through it is the same as nnb_net_params_set() without the
 * checks. Returns NULL if net is NULL or has no parameters. Since 0.1.
 * @param net the network, or NULL
 * @param n_params receives the parameter count; may be NULL
 * @return the network's parameter arena (borrowed), or NULL.
 */
NNB_API double *nnb_net_params_data(nnb_net *net, size_t *n_params);

/**
 * @brief nnb_net_params_get() into a float array (a float64 network's values are rounded).
 * @param net the network
 * @param dst nnb_net_n_params() floats
 * @param len length of dst
 * @return as nnb_net_params_get(). Since 0.2.
 */
NNB_API nnb_status nnb_net_params_get_f32(const nnb_net *net, float *dst, size_t len);

/**
 * @brief nnb_net_params_set() from a float array.
 * @param net the network
 * @param src nnb_net_n_params() floats
 * @param len length of src
 * @return as nnb_net_params_set(). Since 0.2.
 */
NNB_API nnb_status nnb_net_params_set_f32(nnb_net *net, const float *src, size_t len);

/**
 * @brief nnb_net_params_data() of a float32 network: its parameter arena, borrowed and writable.
 * nnb_net_params_data() returns NULL for a float32 network, and this returns NULL for a float64 one.
 * @param net the network
 * @param n_params receives nnb_net_n_params() (may be NULL)
 * @return the arena, or NULL (net NULL, no parameters, or not float32). Since 0.2.
 */
NNB_API float *nnb_net_params_data_f32(nnb_net *net, size_t *n_params);

/**
 * Copies one layer's W (w_len must be n_out*n_in) and b (b_len must be n_out, or 0 with b NULL
 * for a layer without bias) out of / into the network. Either pointer may be NULL to skip it
 * (its length must then be 0).
 * @return NNB_OK; NNB_E_NULL (net); NNB_E_INVALID_ARG (layer); NNB_E_SHAPE (a length);
 *         NNB_E_NONFINITE (set: NaN or infinity in the values). Since 0.1.
 * @param net   the network
 * @param layer the layer index (0-based)
 * @param w     receives W (n_out x n_in), or NULL
 * @param w_len the length of w: n_out*n_in, or 0 with w NULL
 * @param b     receives b (n_out values), or NULL
 * @param b_len the length of b: n_out, or 0 with b NULL
 */
NNB_API nnb_status nnb_net_layer_get(const nnb_net *net, size_t layer, double *w, size_t w_len,
                                     double *b, size_t b_len);
/**
 * Copies one layer's W and b into the network (see nnb_net_layer_get()). Since 0.1.
 * @param net   the network
 * @param layer the layer index (0-based)
 * @param w     the new W (n_out x n_in, row-major), or NULL to keep it
 * @param w_len the length of w: n_out*n_in, or 0 with w NULL
 * @param b     the new b (n_out values), or NULL to keep it
 * @param b_len the length of b: n_out, or 0 with b NULL
 * @return NNB_OK; NNB_E_NULL (net); NNB_E_INVALID_ARG (layer); NNB_E_SHAPE (a length);
 *         NNB_E_NONFINITE (NaN or infinity in the values; nothing is changed).
 */
NNB_API nnb_status nnb_net_layer_set(nnb_net *net, size_t layer, const double *w, size_t w_len,
                                     const double *b, size_t b_len);

/**
 * When enabled (default off), forward, backprop and predict scan their inputs and targets and fail
 * with NNB_E_NONFINITE naming the first NaN or infinity (row and column). Since 0.1.
 * @return NNB_OK; NNB_E_NULL.
 * @param net    the network
 * @param enable 1 to check, 0 (the default) not to
 */
NNB_API nnb_status nnb_net_set_check_finite(nnb_net *net, int enable);

/**
 * @brief Whether the network checks its inputs and targets for NaN and infinity (the getter of
 *        nnb_net_set_check_finite(); model files do not store the flag: a loaded network has 0).
 * @param net    the network
 * @param enable receives 1 or 0; may be NULL
 * @return NNB_OK; NNB_E_NULL (net). Since 0.2.
 */
NNB_API nnb_status nnb_net_get_check_finite(const nnb_net *net, int *enable);

/**
 * Runs a batch forward: out (n_rows x n_outputs) = network(x (n_rows x n_inputs)).
 * Uses the network's own workspace, sized on first use for `n_rows` and grown when a larger batch
 * comes; so this call is not reentrant on one network (use nnb_net_predict() for that).
 * @return NNB_OK; NNB_E_NULL; NNB_E_INVALID_ARG (n_rows 0, or no layers); NNB_E_SHAPE
 *         (n_inputs != nnb_net_n_inputs(), out_len < n_rows*n_outputs); NNB_E_TOO_LARGE;
 *         NNB_E_NOMEM; NNB_E_NONFINITE (checking on). Since 0.1.
 * @param net      the network
 * @param x        the inputs, n_rows x n_inputs, row-major
 * @param n_rows   the number of rows of x (and y)
 * @param n_inputs the columns of x: nnb_net_n_inputs()
 * @param out      receives the outputs, n_rows x nnb_net_n_outputs()
 * @param out_len  the length of out, at least n_rows*nnb_net_n_outputs()
 */
NNB_API nnb_status nnb_net_forward(nnb_net *net, const double *x, size_t n_rows, size_t n_inputs,
                                   double *out, size_t out_len);

/**
 * Like nnb_net_forward(), but reads the network only (const): it uses a private scratch buffer
 * allocated for the call and works through x in blocks of rows, so any number of threads may
 * predict from one network at once (as long as none modifies it).
 * Same return codes as nnb_net_forward(). Since 0.1.
 * @param net      the network (read only)
 * @param x        the inputs, n_rows x n_inputs, row-major
 * @param n_rows   the number of rows of x (and y)
 * @param n_inputs the columns of x: nnb_net_n_inputs()
 * @param out      receives the outputs, n_rows x nnb_net_n_outputs()
 * @param out_len  the length of out, at least n_rows*nnb_net_n_outputs()
 * @return as nnb_net_forward().
 */
NNB_API nnb_status nnb_net_predict(const nnb_net *net, const double *x, size_t n_rows,
                                   size_t n_inputs, double *out, size_t out_len);

/**
 * @brief nnb_net_forward() on float data.
 * @param net the network (either type)
 * @param x n_rows x n_inputs inputs
 * @param n_rows number of rows
 * @param n_inputs must equal nnb_net_n_inputs()
 * @param out receives n_rows x nnb_net_n_outputs() outputs
 * @param out_len length of out
 * @return as nnb_net_forward(). Since 0.2.
 */
NNB_API nnb_status nnb_net_forward_f32(nnb_net *net, const float *x, size_t n_rows, size_t n_inputs,
                                       float *out, size_t out_len);

/**
 * @brief nnb_net_predict() on float data (const, thread-safe, in blocks of rows).
 * @param net the network (either type)
 * @param x n_rows x n_inputs inputs
 * @param n_rows number of rows
 * @param n_inputs must equal nnb_net_n_inputs()
 * @param out receives n_rows x nnb_net_n_outputs() outputs
 * @param out_len length of out
 * @return as nnb_net_predict(). Since 0.2.
 */
NNB_API nnb_status nnb_net_predict_f32(const nnb_net *net, const float *x, size_t n_rows,
                                       size_t n_inputs, float *out, size_t out_len);

/** Loss functions: the per-row loss l_r, before the batch reduction. */
typedef enum nnb_loss {
    NNB_LOSS_SSE = 0, /**< 1/2 * sum_j (y_j - yhat_j)^2: the tutorial's E. Any output activation. */
    NNB_LOSS_MSE = 1, /**< (1/n_out) * sum_j (y_j - yhat_j)^2. Any output activation. */
    NNB_LOSS_BCE = 2, /**< binary cross-entropy, mean over outputs; needs a sigmoid output layer and
                           is computed from its logits: (1/n_out) sum_j [softplus(z_j) - y_j z_j] */
    NNB_LOSS_CE = 3   /**< softmax cross-entropy, -sum_j y_j log softmax(z)_j, from log-sum-exp;
                           needs a softmax output layer; y rows are class probabilities */
} nnb_loss;

/**
 * @brief The canonical name of a loss: sse, mse, bce, ce
 *        (lowercase, the enumerator's suffix; the shared vocabulary of the command and bindings).
 * @param value a nnb_loss value.
 * @return a static string, or NULL if value is out of range. Thread-safe. Since 0.1.
 */
NNB_API const char *nnb_loss_name(nnb_loss value);

/**
 * @brief Parses a loss name: a canonical name (nnb_loss_name()) or an alias
 *        (squared_error, mean_squared_error (mse), binary_crossentropy, binary_cross_entropy (bce), cross_entropy, crossentropy, categorical_crossentropy (ce)), case-insensitive, '-' and '_' alike.
 * @param text the name (NUL-terminated).
 * @param out receives the value; unchanged on failure.
 * @return NNB_OK; NNB_E_NULL (text or out); NNB_E_INVALID_ARG (unknown: the message lists the
 *         accepted names and suggests the nearest). Thread-safe. Since 0.1.
 */
NNB_API nnb_status nnb_loss_parse(const char *text, nnb_loss *out);

/**
 * @brief The number of nnb_loss values (they run from 0 to this minus 1), for enumerating them.
 * @return the count. Since 0.2 (formerly nnb_loss_count(), Since 0.1).
 */
NNB_API size_t nnb_loss_n_values(void);

/** How the per-row losses (and their gradients) are combined over a batch of B rows. */
typedef enum nnb_reduction {
    NNB_REDUCTION_SUM = 0, /**< L = sum_r l_r (the tutorial's single neuron) */
    NNB_REDUCTION_MEAN = 1 /**< L = (1/B) sum_r l_r (the tutorial's network; PyTorch's default) */
} nnb_reduction;

/**
 * @brief The canonical name of a reduction: sum, mean
 *        (lowercase, the enumerator's suffix; the shared vocabulary of the command and bindings).
 * @param value a nnb_reduction value.
 * @return a static string, or NULL if value is out of range. Thread-safe. Since 0.1.
 */
NNB_API const char *nnb_reduction_name(nnb_reduction value);

/**
 * @brief Parses a reduction name: a canonical name (nnb_reduction_name()) or an alias
 *        (average (mean)), case-insensitive, '-' and '_' alike.
 * @param text the name (NUL-terminated).
 * @param out receives the value; unchanged on failure.
 * @return NNB_OK; NNB_E_NULL (text or out); NNB_E_INVALID_ARG (unknown: the message lists the
 *         accepted names and suggests the nearest). Thread-safe. Since 0.1.
 */
NNB_API nnb_status nnb_reduction_parse(const char *text, nnb_reduction *out);

/**
 * @brief The number of nnb_reduction values (they run from 0 to this minus 1), for enumerating them.
 * @return the count. Since 0.2 (formerly nnb_reduction_count(), Since 0.1).
 */
NNB_API size_t nnb_reduction_n_values(void);

/**
 * Computes the loss of a batch without gradients. y is n_rows x n_outputs (n_outputs ==
 * nnb_net_n_outputs()).
 * @return as nnb_net_backprop(). Since 0.1.
 * @param net       the network
 * @param x         the inputs, n_rows x n_inputs, row-major
 * @param n_rows    the number of rows of x (and y)
 * @param n_inputs  the columns of x: nnb_net_n_inputs()
 * @param y         the targets, n_rows x n_outputs, row-major
 * @param n_outputs the columns of y: nnb_net_n_outputs()
 * @param loss      the per-row loss
 * @param reduction how the rows' losses are combined
 * @param loss_out  receives the loss; may be NULL
 */
NNB_API nnb_status nnb_net_loss(nnb_net *net, const double *x, size_t n_rows, size_t n_inputs,
                                const double *y, size_t n_outputs, nnb_loss loss,
                                nnb_reduction reduction, double *loss_out);

/**
 * Backpropagation over a batch: the loss L (into *loss_out, which may be NULL) and dL/dtheta for
 * every parameter. The gradient is always kept inside the network (for nnb_net_sgd_step() and
 * nnb_net_grad_get()); if grad is not NULL it is also copied there (grad_len must then equal
 * nnb_net_n_params(), same layout as the parameters).
 * Every matrix product is one cblas_dgemm per layer and direction.
 * @return NNB_OK; NNB_E_NULL; NNB_E_INVALID_ARG (n_rows 0, no layers, unknown loss or reduction,
 *         BCE without a sigmoid output, CE without a softmax output); NNB_E_SHAPE; NNB_E_TOO_LARGE;
 *         NNB_E_NOMEM; NNB_E_NONFINITE (checking on). Since 0.1.
 * @param net       the network
 * @param x         the inputs, n_rows x n_inputs, row-major
 * @param n_rows    the number of rows of x (and y)
 * @param n_inputs  the columns of x: nnb_net_n_inputs()
 * @param y         the targets, n_rows x n_outputs, row-major
 * @param n_outputs the columns of y: nnb_net_n_outputs()
 * @param loss      the per-row loss
 * @param reduction how the rows' losses are combined
 * @param loss_out  receives the loss; may be NULL
 * @param grad      receives a copy of the gradient; may be NULL
 * @param grad_len  the length of grad: nnb_net_n_params(), or 0 with grad NULL
 */
NNB_API nnb_status nnb_net_backprop(nnb_net *net, const double *x, size_t n_rows, size_t n_inputs,
                                    const double *y, size_t n_outputs, nnb_loss loss,
                                    nnb_reduction reduction, double *loss_out, double *grad,
                                    size_t grad_len);

/**
 * Copies the gradient of the last nnb_net_backprop() (zeros before any) into dst. Since 0.1.
 * @return NNB_OK; NNB_E_NULL; NNB_E_SHAPE (len != nnb_net_n_params()).
 * @param net the network
 * @param dst receives the gradient
 * @param len the length of dst: nnb_net_n_params()
 */
NNB_API nnb_status nnb_net_grad_get(const nnb_net *net, double *dst, size_t len);

/**
 * @brief nnb_net_loss() on float data.
 * @param net the network (either type)
 * @param x n_rows x n_inputs inputs
 * @param n_rows number of rows
 * @param n_inputs must equal nnb_net_n_inputs()
 * @param y n_rows x n_outputs targets
 * @param n_outputs must equal nnb_net_n_outputs()
 * @param loss the loss
 * @param reduction sum or mean over rows
 * @param loss_out receives the loss
 * @return as nnb_net_loss(). Since 0.2.
 */
NNB_API nnb_status nnb_net_loss_f32(nnb_net *net, const float *x, size_t n_rows, size_t n_inputs,
                                    const float *y, size_t n_outputs, nnb_loss loss,
                                    nnb_reduction reduction, double *loss_out);

/**
 * @brief nnb_net_backprop() on float data; the gradient (if grad is not NULL) in float.
 * @param net the network (either type)
 * @param x n_rows x n_inputs inputs
 * @param n_rows number of rows
 * @param n_inputs must equal nnb_net_n_inputs()
 * @param y n_rows x n_outputs targets
 * @param n_outputs must equal nnb_net_n_outputs()
 * @param loss the loss
 * @param reduction sum or mean over rows
 * @param loss_out receives the loss (may be NULL)
 * @param grad receives nnb_net_n_params() gradient values (may be NULL)
 * @param grad_len length of grad
 * @return as nnb_net_backprop(). Since 0.2.
 */
NNB_API nnb_status nnb_net_backprop_f32(nnb_net *net, const float *x, size_t n_rows,
                                        size_t n_inputs, const float *y, size_t n_outputs,
                                        nnb_loss loss, nnb_reduction reduction, double *loss_out,
                                        float *grad, size_t grad_len);

/**
 * @brief nnb_net_grad_get() into a float array.
 * @param net the network
 * @param dst nnb_net_n_params() floats
 * @param len length of dst
 * @return as nnb_net_grad_get(). Since 0.2.
 */
NNB_API nnb_status nnb_net_grad_get_f32(const nnb_net *net, float *dst, size_t len);

/**
 * One gradient-descent step theta <- theta - lr * g. g is `grad` (grad_len == nnb_net_n_params())
 * or, when grad is NULL, the gradient of the last nnb_net_backprop().
 * @return NNB_OK; NNB_E_NULL; NNB_E_SHAPE; NNB_E_INVALID_ARG (lr negative or not finite). Since 0.1.
 * @param net      the network
 * @param lr       the learning rate (finite, >= 0)
 * @param grad     the gradient to step along, or NULL for the last backpropagated one
 * @param grad_len the length of grad: nnb_net_n_params(), or 0 with grad NULL
 */
NNB_API nnb_status nnb_net_sgd_step(nnb_net *net, double lr, const double *grad, size_t grad_len);

/**
 * Checks backpropagation against finite differences: for every parameter t_i, the derivative of
 * the loss L is estimated with the fourth-order central difference
 *   f_i = (-L(t+2h) + 8L(t+h) - 8L(t-h) + L(t-2h)) / (12h),  h = eps * max(1, |t_i|),
 * and compared with the backpropagated g_i. The error of parameter i is
 *   |g_i - f_i| / max(|g_i|, |f_i|, 1e-4 * S, 1e-9 * |L| / eps)
 * with S the largest |g_k| or |f_k|: relative, except that components ten thousand times smaller
 * than the largest are measured against that scale, and none against less than the finite
 * differences' own rounding noise (about 1e-12 |L| / eps). *max_rel_err receives the largest
 * error (NaN if any is NaN); *worst_param (may be NULL) its index. eps <= 0 picks 1e-4. With
 * ReLU-family layers a smaller eps (1e-5) keeps kinks out of the stencil more often: at a kink
 * the two disagree, as they should. The parameters are restored exactly afterwards.
 * Cost: 4 * n_params forward passes. Not for use on large networks.
 * A float32 network's backpropagated gradient (in float32) is checked against finite differences
 * of a float64 copy (nnb_net_copy()): expect errors of about 1e-4 from float32's rounding.
 * @return as nnb_net_backprop(). Since 0.2 (formerly nnb_gradcheck(), Since 0.1).
 * @param net         the network
 * @param x           the inputs, n_rows x n_inputs, row-major
 * @param n_rows      the number of rows of x (and y)
 * @param n_inputs    the columns of x: nnb_net_n_inputs()
 * @param y           the targets, n_rows x n_outputs, row-major
 * @param n_outputs   the columns of y: nnb_net_n_outputs()
 * @param loss        the per-row loss
 * @param reduction   how the rows' losses are combined
 * @param eps         the relative step h / max(1, |t_i|); <= 0 picks 1e-4
 * @param max_rel_err receives the largest error
 * @param worst_param receives its parameter index; may be NULL
 */
NNB_API nnb_status nnb_net_grad_check(nnb_net *net, const double *x, size_t n_rows, size_t n_inputs,
                                      const double *y, size_t n_outputs, nnb_loss loss,
                                      nnb_reduction reduction, double eps, double *max_rel_err,
                                      size_t *worst_param);

/* ============================================================================================== */
/* Training                                                                                       */
/* ============================================================================================== */

/**
 * Evaluates a network on a labelled set without changing it (const; private scratch, so it is
 * safe from many threads like nnb_net_predict()). *loss_out (may be NULL) receives the loss with
 * the given reduction; *accuracy_out (may be NULL) the fraction of rows classified right, or NaN
 * where accuracy is not defined. Accuracy is defined for sigmoid and softmax output layers: with
 * one output a row is right when (yhat > 0.5) == (y > 0.5); with several, when the argmax of yhat
 * equals the argmax of y (ties: the first).
 * @return as nnb_net_backprop(). Since 0.1.
 * @param net          the network (read only)
 * @param x            the inputs, n_rows x n_inputs, row-major
 * @param n_rows       the number of rows of x (and y)
 * @param n_inputs     the columns of x: nnb_net_n_inputs()
 * @param y            the targets, n_rows x n_outputs, row-major
 * @param n_outputs    the columns of y: nnb_net_n_outputs()
 * @param loss         the per-row loss
 * @param reduction    how the rows' losses are combined
 * @param loss_out     receives the loss; may be NULL
 * @param accuracy_out receives the accuracy (NaN if undefined); may be NULL
 */
NNB_API nnb_status nnb_net_evaluate(const nnb_net *net, const double *x, size_t n_rows,
                                    size_t n_inputs, const double *y, size_t n_outputs,
                                    nnb_loss loss, nnb_reduction reduction, double *loss_out,
                                    double *accuracy_out);

/**
 * @brief nnb_net_evaluate() on float data.
 * @param net the network (either type)
 * @param x n_rows x n_inputs inputs
 * @param n_rows number of rows
 * @param n_inputs must equal nnb_net_n_inputs()
 * @param y n_rows x n_outputs targets
 * @param n_outputs must equal nnb_net_n_outputs()
 * @param loss the loss
 * @param reduction sum or mean over rows
 * @param loss_out receives the loss (may be NULL)
 * @param accuracy_out receives the accuracy or NaN (may be NULL)
 * @return as nnb_net_evaluate(). Since 0.2.
 */
NNB_API nnb_status nnb_net_evaluate_f32(const nnb_net *net, const float *x, size_t n_rows,
                                        size_t n_inputs, const float *y, size_t n_outputs,
                                        nnb_loss loss, nnb_reduction reduction, double *loss_out,
                                        double *accuracy_out);

/** Optimisers. The update formulas are PyTorch's (torch.optim), stated in docs/guide.md,
 * "Training". */
typedef enum nnb_optimizer {
    NNB_OPT_SGD = 0,      /**< theta -= lr * g */
    NNB_OPT_MOMENTUM = 1, /**< v = mu v + g; theta -= lr v */
    NNB_OPT_NESTEROV = 2, /**< v = mu v + g; theta -= lr (g + mu v) */
    NNB_OPT_ADAM = 3,     /**< Adam with bias correction; weight decay is L2 (added to g) */
    NNB_OPT_ADAMW = 4,    /**< Adam with decoupled weight decay (theta -= lr wd theta) */
    NNB_OPT_RMSPROP = 5,  /**< v = rho v + (1-rho) g^2; theta -= lr g / (sqrt(v) + eps) */
    NNB_OPT_LM = 6        /**< Levenberg-Marquardt (full batch, squared-error losses, small nets) */
} nnb_optimizer;

/**
 * @brief The canonical name of a optimiser: sgd, momentum, nesterov, adam, adamw, rmsprop, lm
 *        (lowercase, the enumerator's suffix; the shared vocabulary of the command and bindings).
 * @param value a nnb_optimizer value.
 * @return a static string, or NULL if value is out of range. Thread-safe. Since 0.1.
 */
NNB_API const char *nnb_optimizer_name(nnb_optimizer value);

/**
 * @brief Parses a optimiser name: a canonical name (nnb_optimizer_name()) or an alias
 *        (levenberg_marquardt (lm)), case-insensitive, '-' and '_' alike.
 * @param text the name (NUL-terminated).
 * @param out receives the value; unchanged on failure.
 * @return NNB_OK; NNB_E_NULL (text or out); NNB_E_INVALID_ARG (unknown: the message lists the
 *         accepted names and suggests the nearest). Thread-safe. Since 0.1.
 */
NNB_API nnb_status nnb_optimizer_parse(const char *text, nnb_optimizer *out);

/**
 * @brief The number of nnb_optimizer values (they run from 0 to this minus 1), for enumerating them.
 * @return the count. Since 0.2 (formerly nnb_optimizer_count(), Since 0.1).
 */
NNB_API size_t nnb_optimizer_n_values(void);

/**
 * Learning-rate schedules, applied per epoch: the epoch after e completed epochs of the schedule
 * (its position, counted across nnb_net_train() calls) uses the rate below. A schedule starts at
 * position 0 when a network is first trained with it, or when nnb_net_train() is given a schedule
 * (kind, parameters, base lr or multiplier) other than the one the network was following; given
 * the same one, it continues. Its position and horizon are part of the training state
 * (nnb_net_train_state_get(), model files). Schedules do not apply to Levenberg-Marquardt.
 * docs/definitions.md, "Schedules", has each formula and the PyTorch scheduler it matches.
 */
typedef enum nnb_schedule {
    NNB_SCHED_CONSTANT = 0,    /**< lr */
    NNB_SCHED_STEP = 1,        /**< lr * gamma^floor(e / step)  (param1 = step, param2 = gamma) */
    NNB_SCHED_EXPONENTIAL = 2, /**< lr * gamma^e                 (param1 = gamma) */
    NNB_SCHED_COSINE = 3,      /**< lr_min + (lr - lr_min)(1 + cos(pi min(e, T) / T)) / 2: after
                                    T epochs it holds lr_min (param1 = T in epochs, >= 1; 0 = the
                                    epochs of the nnb_net_train() call that starts the schedule,
                                    so a run split into several calls anneals differently from
                                    one call: give T to split a run; param2 = lr_min) */
    NNB_SCHED_COSINE_RESTARTS = 4 /**< SGDR, warm restarts: the cosine from lr to lr_min over
                                    T_0 epochs, then over T_0 m, T_0 m^2, ... epochs, each starting
                                    again at lr (param1 = T_0, a whole number >= 1; param2 =
                                    lr_min; m from nnb_train_opts_set_restart_mult(), default 1).
                                    Since 0.2. */
} nnb_schedule;

/**
 * @brief The canonical name of a learning-rate schedule: constant, step, exponential, cosine,
 *        cosine_restarts (lowercase, the enumerator's suffix; the shared vocabulary of the command and bindings).
 * @param value a nnb_schedule value.
 * @return a static string, or NULL if value is out of range. Thread-safe. Since 0.1.
 */
NNB_API const char *nnb_schedule_name(nnb_schedule value);

/**
 * @brief Parses a learning-rate schedule name: a canonical name (nnb_schedule_name()) or an alias
 *        (none (constant), exp (exponential), cos (cosine), sgdr and warm_restarts
 *        (cosine_restarts)), case-insensitive, '-' and '_' alike.
 * @param text the name (NUL-terminated).
 * @param out receives the value; unchanged on failure.
 * @return NNB_OK; NNB_E_NULL (text or out); NNB_E_INVALID_ARG (unknown: the message lists the
 *         accepted names and suggests the nearest). Thread-safe. Since 0.1.
 */
NNB_API nnb_status nnb_schedule_parse(const char *text, nnb_schedule *out);

/**
 * @brief The number of nnb_schedule values (they run from 0 to this minus 1), for enumerating them.
 * @return the count. Since 0.2 (formerly nnb_schedule_count(), Since 0.1).
 */
NNB_API size_t nnb_schedule_n_values(void);

/** Opaque training options. Every setter returns NNB_E_NULL for a NULL handle and
 *  NNB_E_INVALID_ARG (with a message) for an out-of-range value, leaving the option unchanged. */
typedef struct nnb_train_opts nnb_train_opts;

/**
 * Creates options with the defaults: 10 epochs, batch 32, shuffle on, loss SSE, reduction mean,
 * SGD with lr 0.01, momentum 0.9 (used by MOMENTUM/NESTEROV), Adam betas 0.9/0.999 and eps 1e-8,
 * RMSprop rho 0.99 and eps 1e-8, no weight decay, no clipping, no dropout, constant schedule, no
 * validation, no early stopping, no callbacks, non-finite check off.
 * @return NNB_OK; NNB_E_NULL; NNB_E_NOMEM. Free with nnb_train_opts_free(). Since 0.1.
 * @param out receives the new options (NULL on failure)
 */
NNB_API nnb_status nnb_train_opts_create(nnb_train_opts **out);
/**
 * Frees options; NULL is a no-op. Since 0.1.
 * @param opts the options, or NULL
 */
NNB_API void nnb_train_opts_free(nnb_train_opts *opts);
/**
 * A new handle with every setting of `src`, callbacks, validation set and data-parallel settings
 * included (the pointers are copied; the validation arrays and callback data are not); changing
 * one handle afterwards leaves the other as it was. For a library that adjusts a caller's
 * options without changing them (libnnblas_mpi sets the shard and the all-reduce on a copy).
 * @return NNB_OK; NNB_E_NULL (out or src; *out is then NULL); NNB_E_NOMEM. Free with
 *         nnb_train_opts_free(). Since 0.1.
 * @param out receives the copy (NULL on failure)
 * @param src the options to copy
 */
NNB_API nnb_status nnb_train_opts_copy(nnb_train_opts **out, const nnb_train_opts *src);

/**
 * Epochs to run in each nnb_net_train() call (>= 1). Since 0.1.
 * @param opts   the training options to change
 * @param epochs the epochs per call, >= 1
 * @return NNB_OK; NNB_E_NULL (opts); NNB_E_INVALID_ARG (a value out of range; the option is
 *         unchanged).
 */
NNB_API nnb_status nnb_train_opts_set_epochs(nnb_train_opts *opts, size_t epochs);

/**
 * @brief Reads back the epochs per call (default 10).
 *
 * The getter of nnb_train_opts_set_epochs(): its values, in its order. Any out-pointer may be NULL.
 * Since 0.2.
 * @param opts the training options
 * @param epochs receives the epochs per call; may be NULL
 * @return NNB_OK; NNB_E_NULL (opts).
 */
NNB_API nnb_status nnb_train_opts_get_epochs(const nnb_train_opts *opts, size_t *epochs);

/**
 * Rows per mini-batch: 1 = online, N, 0 = the whole training set (full batch). Since 0.1.
 * @param opts       the training options to change
 * @param batch_size rows per mini-batch; 0 for the whole training set
 * @return NNB_OK; NNB_E_NULL (opts); NNB_E_INVALID_ARG (a value out of range; the option is
 *         unchanged).
 */
NNB_API nnb_status nnb_train_opts_set_batch_size(nnb_train_opts *opts, size_t batch_size);

/**
 * @brief Reads back the rows per mini-batch (default 32; 0: full batch).
 *
 * The getter of nnb_train_opts_set_batch_size(): its values, in its order. Any out-pointer may be
 * NULL. Since 0.2.
 * @param opts the training options
 * @param batch_size receives the rows per mini-batch; may be NULL
 * @return NNB_OK; NNB_E_NULL (opts).
 */
NNB_API nnb_status nnb_train_opts_get_batch_size(const nnb_train_opts *opts, size_t *batch_size);

/**
 * Shuffle the training rows every epoch with the network's generator (1, default) or keep their
 * order (0). Full-batch training never shuffles (the order cannot matter). Since 0.1.
 * @param opts    the training options to change
 * @param shuffle 1 to shuffle every epoch, 0 to keep the order
 * @return NNB_OK; NNB_E_NULL (opts); NNB_E_INVALID_ARG (a value out of range; the option is
 *         unchanged).
 */
NNB_API nnb_status nnb_train_opts_set_shuffle(nnb_train_opts *opts, int shuffle);

/**
 * @brief Reads back whether the rows are shuffled every epoch (default 1).
 *
 * The getter of nnb_train_opts_set_shuffle(): its values, in its order. Any out-pointer may be
 * NULL. Since 0.2.
 * @param opts the training options
 * @param shuffle receives 1 or 0; may be NULL
 * @return NNB_OK; NNB_E_NULL (opts).
 */
NNB_API nnb_status nnb_train_opts_get_shuffle(const nnb_train_opts *opts, int *shuffle);

/**
 * Loss and batch reduction (see nnb_loss, nnb_reduction). Since 0.1.
 * @param opts      the training options to change
 * @param loss      the per-row loss
 * @param reduction the batch reduction
 * @return NNB_OK; NNB_E_NULL (opts); NNB_E_INVALID_ARG (a value out of range; the option is
 *         unchanged).
 */
NNB_API nnb_status nnb_train_opts_set_loss(nnb_train_opts *opts, nnb_loss loss,
                                           nnb_reduction reduction);

/**
 * @brief Reads back the loss and the batch reduction (default NNB_LOSS_SSE, NNB_REDUCTION_MEAN).
 *
 * The getter of nnb_train_opts_set_loss(): its values, in its order. Any out-pointer may be NULL.
 * Since 0.2.
 * @param opts the training options
 * @param loss receives the per-row loss; may be NULL
 * @param reduction receives the batch reduction; may be NULL
 * @return NNB_OK; NNB_E_NULL (opts).
 */
NNB_API nnb_status nnb_train_opts_get_loss(const nnb_train_opts *opts, nnb_loss *loss,
                                           nnb_reduction *reduction);

/**
 * Optimiser and learning rate (finite, > 0). Since 0.1.
 * @param opts the training options to change
 * @param opt  the optimiser
 * @param lr   the learning rate, finite and > 0
 * @return NNB_OK; NNB_E_NULL (opts); NNB_E_INVALID_ARG (a value out of range; the option is
 *         unchanged).
 */
NNB_API nnb_status nnb_train_opts_set_optimizer(nnb_train_opts *opts, nnb_optimizer opt, double lr);

/**
 * @brief Reads back the optimiser and the learning rate (default NNB_OPT_SGD, 0.01).
 *
 * The getter of nnb_train_opts_set_optimizer(): its values, in its order. Any out-pointer may be
 * NULL. Since 0.2.
 * @param opts the training options
 * @param opt receives the optimiser; may be NULL
 * @param lr receives the learning rate; may be NULL
 * @return NNB_OK; NNB_E_NULL (opts).
 */
NNB_API nnb_status nnb_train_opts_get_optimizer(const nnb_train_opts *opts, nnb_optimizer *opt,
                                                double *lr);

/**
 * Momentum coefficient for MOMENTUM and NESTEROV, in [0, 1). Since 0.1.
 * @param opts the training options to change
 * @param mu   the momentum coefficient, in [0, 1)
 * @return NNB_OK; NNB_E_NULL (opts); NNB_E_INVALID_ARG (a value out of range; the option is
 *         unchanged).
 */
NNB_API nnb_status nnb_train_opts_set_momentum(nnb_train_opts *opts, double mu);

/**
 * @brief Reads back the momentum coefficient (default 0.9).
 *
 * The getter of nnb_train_opts_set_momentum(): its values, in its order. Any out-pointer may be
 * NULL. Since 0.2.
 * @param opts the training options
 * @param mu receives the momentum coefficient; may be NULL
 * @return NNB_OK; NNB_E_NULL (opts).
 */
NNB_API nnb_status nnb_train_opts_get_momentum(const nnb_train_opts *opts, double *mu);

/**
 * Adam/AdamW: beta1, beta2 in [0, 1), eps > 0. Since 0.1.
 * @param opts  the training options to change
 * @param beta1 the first moment's decay, in [0, 1)
 * @param beta2 the second moment's decay, in [0, 1)
 * @param eps   the denominator's term, > 0
 * @return NNB_OK; NNB_E_NULL (opts); NNB_E_INVALID_ARG (a value out of range; the option is
 *         unchanged).
 */
NNB_API nnb_status nnb_train_opts_set_adam(nnb_train_opts *opts, double beta1, double beta2,
                                           double eps);

/**
 * @brief Reads back Adam's betas and eps (default 0.9, 0.999, 1e-8).
 *
 * The getter of nnb_train_opts_set_adam(): its values, in its order. Any out-pointer may be NULL.
 * Since 0.2.
 * @param opts the training options
 * @param beta1 receives the first moment's decay; may be NULL
 * @param beta2 receives the second moment's decay; may be NULL
 * @param eps receives the denominator's term; may be NULL
 * @return NNB_OK; NNB_E_NULL (opts).
 */
NNB_API nnb_status nnb_train_opts_get_adam(const nnb_train_opts *opts, double *beta1, double *beta2,
                                           double *eps);

/**
 * RMSprop: rho in [0, 1), eps > 0. Since 0.1.
 * @param opts the training options to change
 * @param rho  the decay of the squared gradients, in [0, 1)
 * @param eps  the denominator's term, > 0
 * @return NNB_OK; NNB_E_NULL (opts); NNB_E_INVALID_ARG (a value out of range; the option is
 *         unchanged).
 */
NNB_API nnb_status nnb_train_opts_set_rmsprop(nnb_train_opts *opts, double rho, double eps);

/**
 * @brief Reads back RMSprop's rho and eps (default 0.99, 1e-8).
 *
 * The getter of nnb_train_opts_set_rmsprop(): its values, in its order. Any out-pointer may be
 * NULL. Since 0.2.
 * @param opts the training options
 * @param rho receives the decay of the squared gradients; may be NULL
 * @param eps receives the denominator's term; may be NULL
 * @return NNB_OK; NNB_E_NULL (opts).
 */
NNB_API nnb_status nnb_train_opts_get_rmsprop(const nnb_train_opts *opts, double *rho, double *eps);

/**
 * Weight decay (>= 0) on every parameter, biases included: L2 (wd * theta added to the gradient)
 * for every optimiser except AdamW, where it is decoupled. Since 0.1.
 * @param opts the training options to change
 * @param wd   the weight decay, finite and >= 0
 * @return NNB_OK; NNB_E_NULL (opts); NNB_E_INVALID_ARG (a value out of range; the option is
 *         unchanged).
 */
NNB_API nnb_status nnb_train_opts_set_weight_decay(nnb_train_opts *opts, double wd);

/**
 * @brief Reads back the weight decay (default 0).
 *
 * The getter of nnb_train_opts_set_weight_decay(): its values, in its order. Any out-pointer may be
 * NULL. Since 0.2.
 * @param opts the training options
 * @param wd receives the weight decay; may be NULL
 * @return NNB_OK; NNB_E_NULL (opts).
 */
NNB_API nnb_status nnb_train_opts_get_weight_decay(const nnb_train_opts *opts, double *wd);

/**
 * @brief Gradient-norm clipping, as torch.nn.utils.clip_grad_norm_ defines it.
 *
 * Before every step the whole gradient g (every parameter, after the data-parallel sum, before
 * weight decay is added) is multiplied by k = max_norm / (||g||_2 + 1e-6) when k < 1, and left as
 * it is otherwise; so a clipped gradient's norm is just below max_norm. It follows clipping by
 * value (nnb_train_opts_set_clip_value()) when both are on. A NaN or infinite gradient stops
 * training with NNB_E_NONFINITE whenever clipping is on. Levenberg-Marquardt does not clip.
 * docs/definitions.md, "Clipping". Since 0.1.
 * @param opts     the training options to change
 * @param max_norm the largest norm, finite and >= 0; 0 turns it off (the default)
 * @return NNB_OK; NNB_E_NULL; NNB_E_INVALID_ARG (negative, NaN or infinite).
 */
NNB_API nnb_status nnb_train_opts_set_clip_norm(nnb_train_opts *opts, double max_norm);

/**
 * @brief Reads back the gradient-norm bound (default 0: off).
 *
 * The getter of nnb_train_opts_set_clip_norm(): its values, in its order. Any out-pointer may be
 * NULL. Since 0.2.
 * @param opts the training options
 * @param max_norm receives the largest norm, 0 when off; may be NULL
 * @return NNB_OK; NNB_E_NULL (opts).
 */
NNB_API nnb_status nnb_train_opts_get_clip_norm(const nnb_train_opts *opts, double *max_norm);

/**
 * @brief Gradient clipping by value, as torch.nn.utils.clip_grad_value_ defines it.
 *
 * Before every step each gradient component is clamped to [-clip_value, clip_value], before
 * clipping by norm and before weight decay is added. A NaN or infinite gradient stops training
 * with NNB_E_NONFINITE (it is never clamped into range). Levenberg-Marquardt does not clip.
 * docs/definitions.md, "Clipping". Since 0.2.
 * @param opts       the training options to change
 * @param clip_value the bound, finite and >= 0; 0 turns it off (the default)
 * @return NNB_OK; NNB_E_NULL; NNB_E_INVALID_ARG (negative, NaN or infinite).
 */
NNB_API nnb_status nnb_train_opts_set_clip_value(nnb_train_opts *opts, double clip_value);

/**
 * @brief Reads back the gradient-value bound (default 0: off).
 *
 * The getter of nnb_train_opts_set_clip_value(): its values, in its order. Any out-pointer may be
 * NULL. Since 0.2.
 * @param opts the training options
 * @param clip_value receives the bound, 0 when off; may be NULL
 * @return NNB_OK; NNB_E_NULL (opts).
 */
NNB_API nnb_status nnb_train_opts_get_clip_value(const nnb_train_opts *opts, double *clip_value);

/**
 * Inverted dropout with drop probability p in [0, 1) on every hidden layer (not the output), with
 * masks drawn from the network's generator; prediction and evaluation never drop. Since 0.1.
 * @param opts the training options to change
 * @param p    the drop probability, in [0, 1); 0 turns dropout off
 * @return NNB_OK; NNB_E_NULL (opts); NNB_E_INVALID_ARG (a value out of range; the option is
 *         unchanged).
 */
NNB_API nnb_status nnb_train_opts_set_dropout(nnb_train_opts *opts, double p);

/**
 * @brief Reads back the dropout probability (default 0: off).
 *
 * The getter of nnb_train_opts_set_dropout(): its values, in its order. Any out-pointer may be
 * NULL. Since 0.2.
 * @param opts the training options
 * @param p receives the drop probability; may be NULL
 * @return NNB_OK; NNB_E_NULL (opts).
 */
NNB_API nnb_status nnb_train_opts_get_dropout(const nnb_train_opts *opts, double *p);

/**
 * Learning-rate schedule (see nnb_schedule for the parameters). Since 0.1.
 * @param opts     the training options to change
 * @param schedule the schedule
 * @param param1   its first parameter (see nnb_schedule)
 * @param param2   its second parameter (see nnb_schedule)
 * @return NNB_OK; NNB_E_NULL (opts); NNB_E_INVALID_ARG (a value out of range; the option is
 *         unchanged).
 */
NNB_API nnb_status nnb_train_opts_set_schedule(nnb_train_opts *opts, nnb_schedule schedule,
                                               double param1, double param2);

/**
 * @brief Reads back the learning-rate schedule and its parameters (default NNB_SCHED_CONSTANT, 0,
 *        0).
 *
 * The getter of nnb_train_opts_set_schedule(): its values, in its order. Any out-pointer may be
 * NULL. Since 0.2.
 * @param opts the training options
 * @param schedule receives the schedule; may be NULL
 * @param param1 receives its first parameter; may be NULL
 * @param param2 receives its second parameter; may be NULL
 * @return NNB_OK; NNB_E_NULL (opts).
 */
NNB_API nnb_status nnb_train_opts_get_schedule(const nnb_train_opts *opts, nnb_schedule *schedule,
                                               double *param1, double *param2);

/**
 * @brief The period multiplier m of NNB_SCHED_COSINE_RESTARTS (PyTorch's T_mult).
 *
 * Period i of the warm restarts lasts T_0 m^i epochs. Since 0.2.
 * @param opts   the training options to change
 * @param t_mult the multiplier, a whole number >= 1 (default 1: equal periods)
 * @return NNB_OK; NNB_E_NULL (opts); NNB_E_INVALID_ARG (not a whole number in [1, 1e6]).
 */
NNB_API nnb_status nnb_train_opts_set_restart_mult(nnb_train_opts *opts, double t_mult);

/**
 * @brief Reads back the warm restarts' period multiplier (default 1).
 *
 * The getter of nnb_train_opts_set_restart_mult(): its values, in its order. Any out-pointer may be
 * NULL. Since 0.2.
 * @param opts the training options
 * @param t_mult receives the multiplier; may be NULL
 * @return NNB_OK; NNB_E_NULL (opts).
 */
NNB_API nnb_status nnb_train_opts_get_restart_mult(const nnb_train_opts *opts, double *t_mult);

/**
 * A validation set (read in place: it must stay valid during nnb_net_train(); x has the network's
 * inputs as columns and y its outputs). Replaces a validation split. NULL x clears it. Since 0.1.
 * @param opts   the training options to change
 * @param x      the validation inputs (n_rows x nnb_net_n_inputs()), or NULL to clear
 * @param y      the validation targets (n_rows x nnb_net_n_outputs())
 * @param n_rows the number of validation rows
 * @return NNB_OK; NNB_E_NULL (opts); NNB_E_INVALID_ARG (a value out of range; the option is
 *         unchanged).
 */
NNB_API nnb_status nnb_train_opts_set_validation(nnb_train_opts *opts, const double *x,
                                                 const double *y, size_t n_rows);

/**
 * @brief Reads back the validation set (default none: x and y NULL, 0 rows; also after a validation
 *        split is set).
 *
 * The getter of nnb_train_opts_set_validation(): its values, in its order. Any out-pointer may be
 * NULL. Since 0.2.
 * @param opts the training options
 * @param x receives the validation inputs (borrowed), or NULL; may be NULL
 * @param y receives the validation targets (borrowed), or NULL; may be NULL
 * @param n_rows receives the number of validation rows; may be NULL
 * @return NNB_OK; NNB_E_NULL (opts).
 */
NNB_API nnb_status nnb_train_opts_get_validation(const nnb_train_opts *opts, const double **x,
                                                 const double **y, size_t *n_rows);

/**
 * Split a fraction in (0, 1) of the training rows off for validation, chosen with a generator of
 * its own seeded with `seed` (so resumed runs see the same split); 0 turns it off. Since 0.1.
 * @param opts     the training options to change
 * @param fraction the fraction of rows held out, in [0, 1)
 * @param seed     the seed of the split's generator
 * @return NNB_OK; NNB_E_NULL (opts); NNB_E_INVALID_ARG (a value out of range; the option is
 *         unchanged).
 */
NNB_API nnb_status nnb_train_opts_set_validation_split(nnb_train_opts *opts, double fraction,
                                                       uint64_t seed);

/**
 * @brief Reads back the validation fraction and its split's seed (default 0: off, seed 0).
 *
 * The getter of nnb_train_opts_set_validation_split(): its values, in its order. Any out-pointer
 * may be NULL. Since 0.2.
 * @param opts the training options
 * @param fraction receives the fraction held out, 0 when off; may be NULL
 * @param seed receives the seed of the split's generator; may be NULL
 * @return NNB_OK; NNB_E_NULL (opts).
 */
NNB_API nnb_status nnb_train_opts_get_validation_split(const nnb_train_opts *opts, double *fraction,
                                                       uint64_t *seed);

/**
 * Early stopping: stop when the monitored loss (validation loss if there is a validation set,
 * else the training loss) has not improved for `patience` epochs (0 = off); with restore_best,
 * the weights of the best epoch are put back when early stopping ends the training (a call that
 * runs all its epochs, or is stopped or cancelled, keeps the last weights, so that the next call
 * continues from them). The watch (best loss, its epoch and weights, the epochs since) is part
 * of the network's training state: it carries over to the next nnb_net_train() call with patience
 * and into nnb_net_train_state_get(), so a resumed run stops exactly where a straight run would;
 * a call without patience, or an early stop, clears it. Since 0.1.
 * @param opts         the training options to change
 * @param patience     epochs without improvement before stopping; 0 = off
 * @param restore_best 1 to restore the best epoch's weights when early stopping ends
 *                     training, else 0
 * @return NNB_OK; NNB_E_NULL (opts); NNB_E_INVALID_ARG (a value out of range; the option is
 *         unchanged).
 */
NNB_API nnb_status nnb_train_opts_set_early_stopping(nnb_train_opts *opts, size_t patience,
                                                     int restore_best);

/**
 * @brief Reads back early stopping's patience and restore flag (default 0: off, 1).
 *
 * The getter of nnb_train_opts_set_early_stopping(): its values, in its order. Any out-pointer may
 * be NULL. Since 0.2.
 * @param opts the training options
 * @param patience receives the patience in epochs, 0 when off; may be NULL
 * @param restore_best receives 1 or 0; may be NULL
 * @return NNB_OK; NNB_E_NULL (opts).
 */
NNB_API nnb_status nnb_train_opts_get_early_stopping(const nnb_train_opts *opts, size_t *patience,
                                                     int *restore_best);

/**
 * Stop with NNB_E_NONFINITE (naming epoch and batch) as soon as a loss or gradient is NaN or
 * infinite, before the bad step is applied, so the weights stay finite. Since 0.1.
 *
 * Without it, nnb_net_train() still checks, at no measurable cost, every batch's loss (before that
 * batch's step) and, once an epoch, the epoch's losses and every parameter: divergence ends
 * training with NNB_E_NONFINITE and a message naming the epoch and batch and suggesting a lower
 * learning rate (with clipping on, a loss that overflows is allowed and only the parameters are
 * checked). Only a gradient that overflows while the loss is finite can then reach the weights,
 * and is reported at the next batch or at the epoch's end.
 * @param opts   the training options to change
 * @param enable 1 to check, 0 (the default) not to
 * @return NNB_OK; NNB_E_NULL (opts); NNB_E_INVALID_ARG (a value out of range; the option is
 *         unchanged).
 */
NNB_API nnb_status nnb_train_opts_set_check_finite(nnb_train_opts *opts, int enable);

/**
 * @brief Reads back whether the non-finite check is on (default 0).
 *
 * The getter of nnb_train_opts_set_check_finite(): its values, in its order. Any out-pointer may be
 * NULL. Since 0.2.
 * @param opts the training options
 * @param enable receives 1 or 0; may be NULL
 * @return NNB_OK; NNB_E_NULL (opts).
 */
NNB_API nnb_status nnb_train_opts_get_check_finite(const nnb_train_opts *opts, int *enable);

/**
 * @brief Asks nnb_net_train() running with these options to stop cleanly.
 *
 * Async-signal-safe and thread-safe (one lock-free atomic store): call it from a signal handler
 * (SIGINT, SIGTERM) or from another thread while nnb_net_train() runs with @p opts; nothing else
 * about @p opts may change meanwhile. Training stops between two batches (the batch in progress
 * completes; Levenberg-Marquardt stops between epochs) and nnb_net_train() returns NNB_E_CANCELLED.
 * Data-parallel workers stop together after the batch in progress, but record no position
 * inside the epoch: a resumed data-parallel run repeats that epoch. The network keeps the weights after the last batch and
 * its training state records where the epoch stopped: a later nnb_net_train() with the same data,
 * split and batch size (in this process, or after nnb_net_train_state_get() / set() or a model
 * file saved with its training state) finishes that epoch and continues exactly as if never
 * stopped. The request stays until nnb_train_opts_clear_stop(): an nnb_net_train() started while it
 * is set stops before its first batch. Since 0.1.
 *
 * @param opts the options of the training to stop (NULL: nothing happens)
 */
NNB_API void nnb_train_opts_request_stop(nnb_train_opts *opts);

/**
 * @brief Withdraws a stop request made with nnb_train_opts_request_stop().
 *
 * Async-signal-safe and thread-safe like the request. Since 0.1.
 *
 * @param opts the options whose request is withdrawn (NULL: nothing happens)
 */
NNB_API void nnb_train_opts_clear_stop(nnb_train_opts *opts);

/**
 * @brief Whether a stop has been requested with nnb_train_opts_request_stop() and not withdrawn
 *        with nnb_train_opts_clear_stop().
 *
 * Async-signal-safe and thread-safe like the request (one lock-free atomic load). Since 0.2.
 *
 * @param opts the options (NULL: 0)
 * @return 1 if a stop is requested, else 0.
 */
NNB_API int nnb_train_opts_stop_requested(const nnb_train_opts *opts);

/**
 * @brief What an epoch callback is told: a record that grows at its end (never changes).
 *
 * `size` is the number of bytes the library filled: sizeof(nnb_epoch_info) of the library's own
 * header. A program built against a newer header reads a field only if
 * NNB_EPOCH_INFO_HAS(info, field); one built against an older header never sees the newer
 * fields. Losses follow the training options' reduction (the sum over rows, or the mean per row);
 * train_loss is the loss over the epoch's batches as Keras reports it (dropout on, weights
 * changing). Since 0.2.
 */
typedef struct nnb_epoch_info {
    size_t size;          /**< bytes of this record the library filled */
    uint64_t epoch;       /**< the epoch just ended, counted from 1 across nnb_net_train() calls */
    uint64_t last_epoch;  /**< the epoch this nnb_net_train() call ends at unless it stops early */
    double train_loss;    /**< the loss over the epoch's batches */
    double val_loss;      /**< the validation loss (NaN: no validation data) */
    double train_acc;     /**< the training accuracy (NaN: not a classifier) */
    double val_acc;       /**< the validation accuracy (NaN: not defined) */
    double seconds;       /**< the epoch's wall time */
    double samples_per_s; /**< training rows per second in this epoch */
    double lr;            /**< the learning rate the epoch used (after the schedule) */
    uint64_t steps;       /**< optimiser steps taken so far, across calls */
    uint64_t rows;        /**< training rows of an epoch (of all workers when data-parallel) */
    uint64_t best_epoch;  /**< early stopping's best epoch so far (0: patience is off) */
    int loss_went_up;     /**< the monitored loss rose since the previous epoch */
} nnb_epoch_info;

/** True when the record @p info (an nnb_epoch_info pointer) has the field @p field. */
#define NNB_EPOCH_INFO_HAS(info, field) \
  ((info)->size >= offsetof(nnb_epoch_info, field) + sizeof((info)->field))

/**
 * @brief Called after every epoch with the epoch's record.
 *
 * The callback may read the network (nnb_net_predict, nnb_net_evaluate, getters) but must not
 * change it. Returning non-zero stops training: nnb_net_train() then returns NNB_E_CANCELLED. It
 * runs on the thread that called nnb_net_train(); the record lives until the callback returns.
 * Since 0.2.
 *
 * @param net       the network being trained
 * @param info      the epoch's record (see nnb_epoch_info)
 * @param user_data as given to nnb_train_opts_set_epoch_info_callback()
 * @return 0 to go on, non-zero to stop
 */
typedef int (*nnb_epoch_info_fn)(const nnb_net *net, const nnb_epoch_info *info, void *user_data);

/**
 * @brief Sets the callback run after every epoch (see nnb_epoch_info_fn).
 *
 * A network has one epoch callback: this replaces one set with
 * nnb_train_opts_set_epoch_callback() and the other way round. Since 0.2.
 *
 * @param opts      the training options to change
 * @param fn        the callback, or NULL for none
 * @param user_data passed unchanged to every call of fn
 * @return NNB_OK; NNB_E_NULL (opts).
 */
NNB_API nnb_status nnb_train_opts_set_epoch_info_callback(nnb_train_opts *opts,
                                                          nnb_epoch_info_fn fn, void *user_data);

/**
 * @brief Reads back the epoch callback and its user data (default NULL, NULL; also NULL when the
 *        deprecated positional callback is set).
 *
 * The getter of nnb_train_opts_set_epoch_info_callback(): its values, in its order. Any out-pointer
 * may be NULL. Since 0.2.
 * @param opts the training options
 * @param fn receives the callback, or NULL; may be NULL
 * @param user_data receives its user data; may be NULL
 * @return NNB_OK; NNB_E_NULL (opts).
 */
NNB_API nnb_status nnb_train_opts_get_epoch_info_callback(const nnb_train_opts *opts,
                                                          nnb_epoch_info_fn *fn, void **user_data);

/** Called after every mini-batch (for progress bars): batch counts from 1 within the epoch.
 *  Returning non-zero stops training with NNB_E_CANCELLED. Since 0.1. */
typedef int (*nnb_batch_fn)(size_t epoch, size_t batch, size_t n_batches, double batch_loss,
                            void *user_data);
/**
 * Sets the callback run after every mini-batch (see nnb_batch_fn). Since 0.1.
 * @param opts      the training options to change
 * @param fn        the callback, or NULL for none
 * @param user_data passed unchanged to every call of fn
 * @return NNB_OK; NNB_E_NULL (opts).
 */
NNB_API nnb_status nnb_train_opts_set_batch_callback(nnb_train_opts *opts, nnb_batch_fn fn,
                                                     void *user_data);

/**
 * @brief Reads back the mini-batch callback and its user data (default NULL, NULL).
 *
 * The getter of nnb_train_opts_set_batch_callback(): its values, in its order. Any out-pointer may
 * be NULL. Since 0.2.
 * @param opts the training options
 * @param fn receives the callback, or NULL; may be NULL
 * @param user_data receives its user data; may be NULL
 * @return NNB_OK; NNB_E_NULL (opts).
 */
NNB_API nnb_status nnb_train_opts_get_batch_callback(const nnb_train_opts *opts, nnb_batch_fn *fn,
                                                     void **user_data);

/**
 * @brief Estimates the memory a training run of `net` takes, before any of it is allocated.
 *
 * The bytes of the network's parameters and gradients, the optimiser's moments (none for SGD, one
 * vector for momentum, Nesterov and RMSprop, two for Adam and AdamW), the workspace for a batch
 * (exactly what nnb_train() allocates for the network's layers, with dropout's masks), the best
 * weights early stopping keeps, Levenberg-Marquardt's Jacobian and normal equations, and the row
 * indices, split and history, for `n_rows` training rows and the options' batch size,
 * optimiser, dropout and patience. nnb_net_train() itself refuses, with NNB_E_TOO_LARGE naming the
 * parts, a run whose additions exceed nnb_get_available_memory(). The caller's data is not
 * counted. Saturates at SIZE_MAX. Since 0.2.
 * @param net     the network
 * @param opts    the training options
 * @param n_rows  the training rows
 * @param n_bytes receives the estimate
 * @return NNB_OK; NNB_E_NULL; NNB_E_NOMEM.
 */
NNB_API nnb_status nnb_net_train_memory(const nnb_net *net, const nnb_train_opts *opts,
                                        size_t n_rows, size_t *n_bytes);

/**
 * @brief nnb_net_train_memory() for a network of dense layers that does not exist yet: `n_inputs`
 * inputs, `n_layers` layers of units[0..n_layers) units (with biases), of element type `dtype`;
 * its parameters and gradients are counted too. For a program (the nnblas command) that checks a
 * whole run against the memory it can get before building anything. Since 0.2.
 * @param n_inputs the network's inputs (at least 1)
 * @param units    the units of each layer, the output layer last
 * @param n_layers the number of layers
 * @param dtype    NNB_F64 or NNB_F32
 * @param opts     the training options
 * @param n_rows   the training rows
 * @param n_bytes  receives the estimate
 * @return NNB_OK; NNB_E_NULL; NNB_E_INVALID_ARG (no inputs, a layer of 0 units, an unknown
 *         type); NNB_E_TOO_LARGE (a layer beyond OpenBLAS's sizes); NNB_E_NOMEM.
 */
NNB_API nnb_status nnb_net_train_memory_dense(size_t n_inputs, const size_t *units, size_t n_layers,
                                              nnb_dtype dtype, const nnb_train_opts *opts,
                                              size_t n_rows, size_t *n_bytes);

/**
 * @brief The bytes this process can still expect to allocate: the smallest of Linux's
 * MemAvailable and what is left under the address-space and data-segment limits (each limit less
 * what the process uses of it already); SIZE_MAX if nothing is known.
 * What nnblas's readers and nnb_train() check their needs against. Thread-safe. Since 0.2.
 * @return the bytes.
 */
NNB_API size_t nnb_get_available_memory(void);

/** Per-epoch record of training runs (like Keras's History). */
typedef struct nnb_history nnb_history;

/** The columns of a history. */
typedef enum nnb_history_field {
    NNB_HIST_EPOCH = 0,        /**< epoch number (from 1, across calls) */
    NNB_HIST_TRAIN_LOSS = 1,   /**< the loss over the epoch's batches, with the reduction */
    NNB_HIST_VAL_LOSS = 2,     /**< NaN without validation */
    NNB_HIST_TRAIN_ACC = 3,    /**< NaN where accuracy is not defined */
    NNB_HIST_VAL_ACC = 4,      /**< NaN without validation or where accuracy is not defined */
    NNB_HIST_SECONDS = 5,      /**< wall time of the epoch */
    NNB_HIST_LR = 6,           /**< learning rate used (LM: the damping mu at the epoch's end) */
    NNB_HIST_SAMPLES_PER_S = 7 /**< training rows per second of the epoch */
} nnb_history_field;

/**
 * @brief The canonical name of a history field: epoch, train_loss, val_loss, train_acc, val_acc, seconds, lr, samples_per_s
 *        (lowercase, the enumerator's suffix; the shared vocabulary of the command and bindings).
 * @param value a nnb_history_field value.
 * @return a static string, or NULL if value is out of range. Thread-safe. Since 0.1.
 */
NNB_API const char *nnb_history_field_name(nnb_history_field value);

/**
 * @brief Parses a history field name: a canonical name (nnb_history_field_name()) or an alias
 *        (loss (train_loss), accuracy, train_accuracy (train_acc), val_accuracy (val_acc)), case-insensitive, '-' and '_' alike.
 * @param text the name (NUL-terminated).
 * @param out receives the value; unchanged on failure.
 * @return NNB_OK; NNB_E_NULL (text or out); NNB_E_INVALID_ARG (unknown: the message lists the
 *         accepted names and suggests the nearest). Thread-safe. Since 0.1.
 */
NNB_API nnb_status nnb_history_field_parse(const char *text, nnb_history_field *out);

/**
 * @brief The number of nnb_history_field values (they run from 0 to this minus 1), for enumerating them.
 * @return the count. Since 0.2 (formerly nnb_history_field_count(), Since 0.1).
 */
NNB_API size_t nnb_history_field_n_values(void);

/**
 * Creates an empty history; free with nnb_history_free(). Since 0.1.
 * @param out receives the new history (NULL on failure)
 * @return NNB_OK; NNB_E_NULL; NNB_E_NOMEM.
 */
NNB_API nnb_status nnb_history_create(nnb_history **out);
/**
 * Frees a history; NULL is a no-op. Since 0.1.
 * @param h the history, or NULL
 */
NNB_API void nnb_history_free(nnb_history *h);
/**
 * Number of epochs recorded (0 for NULL). Since 0.2 (formerly nnb_history_len(), Since 0.1).
 * @param h the history, or NULL
 * @return the number of epochs recorded; 0 for NULL.
 */
NNB_API size_t nnb_history_n_epochs(const nnb_history *h);
/**
 * Copies one column (len must equal nnb_history_n_epochs()) into dst. Since 0.1.
 * @return NNB_OK; NNB_E_NULL; NNB_E_INVALID_ARG (field); NNB_E_SHAPE (len).
 * @param h     the history
 * @param field the column to copy
 * @param dst   receives one value per epoch
 * @param len   the length of dst: nnb_history_n_epochs()
 */
NNB_API nnb_status nnb_history_get(const nnb_history *h, nnb_history_field field, double *dst,
                                   size_t len);
/**
 * The epoch with the best monitored loss (0 if none), and whether early stopping ended the run
 * (any out-pointer may be NULL). Since 0.1.
 * @param h             the history
 * @param best_epoch    receives the best epoch (0 if none); may be NULL
 * @param best_loss     receives its monitored loss; may be NULL
 * @param stopped_early receives 1 if early stopping ended the run, else 0; may be NULL
 * @return NNB_OK; NNB_E_NULL (h).
 */
NNB_API nnb_status nnb_history_summary(const nnb_history *h, size_t *best_epoch, double *best_loss,
                                       int *stopped_early);

/**
 * Trains `net` in place on x (n_rows x n_inputs) and y (n_rows x n_outputs), both read in place
 * (never copied as a whole; mini-batches are gathered into one buffer sized before the loop, and
 * nothing is allocated inside the loop). Runs opts' epochs, continuing the network's training
 * state: optimiser moments, step and epoch counters, the schedule's position and horizon and the
 * generator carry over between calls, so train(4) then train(6) equals train(10), bit for bit, for
 * every optimiser and schedule, except NNB_SCHED_COSINE with T = 0 (whose horizon is the first
 * call's epochs) and early stopping's patience count (nnb_net_train_state_reset() starts over).
 * history (may be NULL) gets one record per epoch appended.
 * @return NNB_OK; NNB_E_NULL; NNB_E_INVALID_ARG (no layers; loss not allowed with the output
 *         layer; LM with a cross-entropy loss; a validation split that leaves no rows);
 *         NNB_E_SHAPE; NNB_E_TOO_LARGE (includes LM beyond its size limit, see docs/guide.md);
 *         NNB_E_NOMEM; NNB_E_NONFINITE (checks on); NNB_E_CANCELLED (a callback stopped it; the
 *         weights are those after the last completed batch, or the best ones with restore_best).
 * Since 0.2 (formerly nnb_train(), Since 0.1).
 * @param net       the network to train (changed in place)
 * @param opts      the training options
 * @param x         the training inputs, n_rows x n_inputs, row-major (read in place)
 * @param n_rows    the number of training rows
 * @param n_inputs  the columns of x: nnb_net_n_inputs()
 * @param y         the training targets, n_rows x n_outputs, row-major (read in place)
 * @param n_outputs the columns of y: nnb_net_n_outputs()
 * @param history   receives one record per epoch; may be NULL
 */
NNB_API nnb_status nnb_net_train(nnb_net *net, const nnb_train_opts *opts, const double *x,
                                 size_t n_rows, size_t n_inputs, const double *y, size_t n_outputs,
                                 nnb_history *history);

/**
 * @brief nnb_net_train() on float data, read in place when the network is float32 too (zero-copy);
 * a float64 network converts each gathered batch. Levenberg-Marquardt needs a float64 network.
 * @param net the network (either type)
 * @param opts the training options
 * @param x n_rows x n_inputs inputs
 * @param n_rows number of rows
 * @param n_inputs must equal nnb_net_n_inputs()
 * @param y n_rows x n_outputs targets
 * @param n_outputs must equal nnb_net_n_outputs()
 * @param history receives one record per epoch (may be NULL)
 * @return as nnb_net_train(); NNB_E_UNSUPPORTED for Levenberg-Marquardt on a float32 network or
 *         float data. Since 0.2 (formerly nnb_train_f32()).
 */
NNB_API nnb_status nnb_net_train_f32(nnb_net *net, const nnb_train_opts *opts, const float *x,
                                     size_t n_rows, size_t n_inputs, const float *y,
                                     size_t n_outputs, nnb_history *history);

/**
 * The network's training state — optimiser kind, moments, step and epoch counters, the last
 * monitored loss, the learning-rate schedule's definition, position and horizon, and the
 * generator state — as a portable byte string (little-endian, versioned; states written by 0.1,
 * without the schedule, still load, and their schedule's position is the epoch count),
 * for checkpoints: restoring it (with the parameters) into a fresh network of the same shape makes
 * the next nnb_net_train() continue bit for bit as if never interrupted.
 * nnb_net_train_state_size() gives the byte count; _get writes exactly that many (len must be at
 * least that; *n_written may be NULL); _set validates the bytes (NNB_E_FORMAT for a damaged or
 * foreign string, NNB_E_VERSION for a newer format, NNB_E_SHAPE for another parameter count).
 * Since 0.1.
 * @param net the network, or NULL
 * @return the byte count; 0 if net is NULL.
 */
NNB_API size_t nnb_net_train_state_size(const nnb_net *net);
/**
 * Writes the network's training state into buf (see nnb_net_train_state_size()). Since 0.1.
 * @param net       the network
 * @param buf       receives the state's bytes
 * @param len       the capacity of buf, at least nnb_net_train_state_size()
 * @param n_written receives the bytes written; may be NULL
 * @return NNB_OK; NNB_E_NULL; NNB_E_SHAPE (len too small).
 */
NNB_API nnb_status nnb_net_train_state_get(const nnb_net *net, void *buf, size_t len,
                                           size_t *n_written);
/**
 * Restores a training state written by nnb_net_train_state_get(). Since 0.1.
 * @param net the network
 * @param buf bytes from nnb_net_train_state_get()
 * @param len their count
 * @return NNB_OK; NNB_E_NULL; NNB_E_FORMAT (damaged or foreign bytes); NNB_E_VERSION (a newer
 *         format); NNB_E_SHAPE (another parameter count); NNB_E_NOMEM.
 */
NNB_API nnb_status nnb_net_train_state_set(nnb_net *net, const void *buf, size_t len);
/**
 * Forgets the optimiser moments and counters (not the weights, not the generator). Since 0.1.
 * @param net the network
 * @return NNB_OK; NNB_E_NULL.
 */
NNB_API nnb_status nnb_net_train_state_reset(nnb_net *net);

/* ============================================================================================== */
/* Data: CSV, IDX, preparation                                                                    */
/* ============================================================================================== */

/*
 * The data layer reads files into row-major double matrices that the trainer reads in place:
 * X is rows x features, Y is rows x targets. One pattern holds throughout: ask for the shape,
 * then fill a buffer the caller owns (a C array, or a C-contiguous float64 numpy array), so no
 * full-size copy is ever made inside nnblas. A CSV file first becomes an nnb_table (it holds text
 * columns too); an nnb_prep, fitted on some rows of a table, turns rows of that or another table
 * into X and Y.
 *
 *     nnb_table *t; nnb_prep *p;
 *     nnb_csv_read(&t, "admissions.csv", NULL);
 *     nnb_prep_create(&p);
 *     nnb_prep_add_target(p, "admit", NNB_TARGET_VALUES);
 *     nnb_prep_onehot(p, "rank");                          // rank_1 .. rank_4
 *     nnb_prep_scale(p, "gre", NNB_SCALE_STANDARD);
 *     nnb_prep_scale(p, "gpa", NNB_SCALE_STANDARD);
 *     size_t n = nnb_table_n_rows(t), order[400], n_train, n_test, n_val;
 *     nnb_rows_split(n, 0.1, 0.0, 42, NULL, 0, order, n, &n_train, &n_test, &n_val);
 *     nnb_prep_fit(p, t, order, n_train);                  // statistics of the training rows
 *     size_t nf = nnb_prep_n_features(p), ny = nnb_prep_n_targets(p);   // 6 and 1
 *     // X_train: n_train x nf, Y_train: n_train x ny, caller-allocated
 *     nnb_prep_apply(p, t, order, n_train, X_train, n_train * nf, Y_train, n_train * ny);
 *     nnb_prep_apply(p, t, order + n_train, n_test, X_test, n_test * nf, Y_test, n_test * ny);
 *
 * Numbers are read the same in every process locale. Error messages name the file, line and
 * column: "nnb_csv_read: data.csv:17:3: expected a number in column 'gpa', found 'abc'".
 * Strings returned as const char * by the getters below are owned by their object and stay valid
 * until it is freed; they are never scratch space.
 */

/** A table read from a CSV file: named columns of numbers or texts, rows in file order. */
typedef struct nnb_table nnb_table;

/**
 * @brief Sets the input limit: the most bytes a reader takes from an input of unknown size.
 *
 * Every file reader of nnblas (nnb_csv_read(), nnb_model_read(), the IDX readers) reads a
 * regular file to its size (after checking that size against the header it declares, for model
 * files, and against the memory the process can get). An input whose size is not known in
 * advance, a pipe, a FIFO, a character device such as /dev/zero, a /proc file or standard input,
 * is read up to this limit; one that sends more is refused with NNB_E_TOO_LARGE instead of
 * filling memory. Default 1 GiB. Process-wide and thread-safe (an atomic store); a CSV read can
 * override it with nnb_csv_opts_set_input_limit(). The command sets it with --input-limit,
 * the Python binding with nnblas.set_input_limit() and read_csv(input_limit=). Since 0.1.
 *
 * @param n_bytes the limit in bytes (at least 1)
 * @return NNB_OK; NNB_E_INVALID_ARG (n_bytes is 0).
 */
NNB_API nnb_status nnb_set_input_limit(size_t n_bytes);

/**
 * @brief The input limit (see nnb_set_input_limit()). Thread-safe. Since 0.2 (formerly
 *        nnb_input_limit(), Since 0.1).
 * @return the limit in bytes.
 */
NNB_API size_t nnb_get_input_limit(void);

/**
 * @brief Reads a whole input into memory: a regular file to its size, anything else (pipe,
 * FIFO, character device, /proc file, /dev/stdin) up to @p limit bytes.
 *
 * What nnb_csv_read() does before parsing, for a caller that parses the same bytes several times
 * (with nnb_csv_read_buffer()) and so must read a stream once. Since 0.2 (formerly
 * nnb_read_input(), Since 0.1).
 *
 * @param path the file to read
 * @param limit the most bytes taken from an input of unknown size (0: nnb_get_input_limit())
 * @param text 1: refuse a NUL byte, naming its offset, as soon as it arrives (text formats)
 * @param data receives a new buffer of *n_bytes bytes and a terminating NUL (free it with free())
 * @param n_bytes receives the byte count
 * @return NNB_OK; NNB_E_NULL; NNB_E_IO (cannot open or read: strerror in the message);
 *         NNB_E_TOO_LARGE (past the limit, or a regular file larger than the memory the process
 *         can get); NNB_E_FORMAT (text and a NUL byte); NNB_E_NOMEM. *data is NULL on failure.
 */
NNB_API nnb_status nnb_input_read(const char *path, size_t limit, int text, char **data,
                                  size_t *n_bytes);

/** Options of the CSV reader (an opaque handle with setters, so it can grow). */
typedef struct nnb_csv_opts nnb_csv_opts;

/**
 * Creates CSV options with the defaults: comma delimiter, a header row, every column numeric,
 * no column skipped, a missing or non-numeric cell is an error.
 * @return NNB_OK; NNB_E_NULL (out NULL); NNB_E_NOMEM.
 * Ownership: free with nnb_csv_opts_free(). Since 0.2 (formerly nnb_csv_options_create(),
 * Since 0.1).
 * @param out receives the new options (NULL on failure)
 */
NNB_API nnb_status nnb_csv_opts_create(nnb_csv_opts **out);

/**
 * Frees CSV options. NULL is a no-op. Since 0.2 (formerly nnb_csv_options_free(), Since 0.1).
 * @param opts the options, or NULL
 */
NNB_API void nnb_csv_opts_free(nnb_csv_opts *opts);

/**
 * Sets the field delimiter (default ','), e.g. ';' or a tab. It may not be the double quote, a
 * carriage return, a line feed or NUL.
 * @return NNB_OK; NNB_E_NULL; NNB_E_INVALID_ARG. Since 0.2 (formerly
 *         nnb_csv_options_set_delimiter(), Since 0.1).
 * @param opts      the CSV options to change
 * @param delimiter the delimiter character
 */
NNB_API nnb_status nnb_csv_opts_set_delimiter(nnb_csv_opts *opts, char delimiter);

/**
 * @brief The field delimiter (the getter of nnb_csv_opts_set_delimiter(); default ',').
 * @param opts      the CSV options
 * @param delimiter receives the delimiter; may be NULL
 * @return NNB_OK; NNB_E_NULL (opts). Since 0.2.
 */
NNB_API nnb_status nnb_csv_opts_get_delimiter(const nnb_csv_opts *opts, char *delimiter);

/**
 * @brief Guesses a CSV file's field delimiter from its header row: the one of comma,
 *        semicolon, tab and '|' that occurs most often in the first line outside quotes (a UTF-8
 *        byte-order mark and blank lines before it are skipped; ties go to that order), or ','
 *        when none does.
 *        For nnb_csv_opts_set_delimiter(). Reads at most the first 1 MiB of the file (which
 *        a pipe or FIFO then no longer has: see nnb_csv_detect_delimiter_buffer()).
 * @param path the file.
 * @param delimiter receives the delimiter.
 * @return NNB_OK; NNB_E_NULL (path or delimiter); NNB_E_IO (cannot open or read: the message
 *         has strerror); NNB_E_NOMEM. Thread-safe. Since 0.1.
 */
NNB_API nnb_status nnb_csv_detect_delimiter(const char *path, char *delimiter);

/**
 * @brief nnb_csv_detect_delimiter() on bytes in memory: for an input that can be read only once
 *        (a pipe, a FIFO, standard input), read with nnb_input_read() and then parsed with
 *        nnb_csv_read_buffer(). Looks at most at the first 1 MiB.
 * @param data the CSV text (need not be NUL-terminated)
 * @param len its length in bytes
 * @param delimiter receives the delimiter
 * @return NNB_OK; NNB_E_NULL (data or delimiter). Thread-safe. Since 0.2 (formerly
 *         nnb_csv_detect_delimiter_mem()).
 */
NNB_API nnb_status nnb_csv_detect_delimiter_buffer(const char *data, size_t len, char *delimiter);

/**
 * @brief Guesses the decimal mark of a CSV text's numbers: ',' when its delimiter is not ',', some
 * unquoted field of its first 1,000 data rows is a number with one decimal comma ("17,99",
 * "-0,5") and none is a number with a decimal point ("17.99"); else '.'. For
 * nnb_csv_opts_set_decimal(). Looks at most at the first 1 MiB. Thread-safe. Since 0.2.
 * @param data the CSV text (need not be NUL-terminated)
 * @param len its length in bytes
 * @param delimiter the text's delimiter (e.g. from nnb_csv_detect_delimiter_mem())
 * @param decimal receives '.' or ','
 * @return NNB_OK; NNB_E_NULL (data or decimal).
 */
NNB_API nnb_status nnb_csv_detect_decimal_buffer(const char *data, size_t len, char delimiter,
                                                 char *decimal);

/**
 * Reads the column called `name` as text instead of numbers: for a category to one-hot encode or
 * a class label. An empty cell (or NA, N/A, NaN, null) is still a missing value there.
 * Naming a column the file lacks is an error at read time. The name is copied.
 * @return NNB_OK; NNB_E_NULL; NNB_E_NOMEM. Since 0.2 (formerly nnb_csv_options_text_column(), Since
 *         0.1).
 * @param opts the CSV options to change
 * @param name the column's name in the header
 */
NNB_API nnb_status nnb_csv_opts_add_text_column(nnb_csv_opts *opts, const char *name);

/**
 * Skips the column called `name`: it is not parsed and not in the table. The name is copied.
 * @return NNB_OK; NNB_E_NULL; NNB_E_NOMEM. Since 0.2 (formerly nnb_csv_options_skip_column(), Since
 *         0.1).
 * @param opts the CSV options to change
 * @param name the column's name in the header
 */
NNB_API nnb_status nnb_csv_opts_skip_column(nnb_csv_opts *opts, const char *name);

/**
 * enable = 1: a row with a missing (empty, NA, N/A, NaN, null) or non-numeric cell in a numeric
 * column, or a missing cell in a text column, is dropped instead of failing the read;
 * nnb_table_n_dropped_rows() tells how many were. Default 0 (such a cell is an error).
 * @return NNB_OK; NNB_E_NULL; NNB_E_INVALID_ARG (enable not 0 or 1). Since 0.2 (formerly
 *         nnb_csv_options_set_drop_bad_rows(), Since 0.1).
 * @param opts   the CSV options to change
 * @param enable 1 to drop such rows, 0 (the default) to fail
 */
NNB_API nnb_status nnb_csv_opts_set_drop_bad_rows(nnb_csv_opts *opts, int enable);

/**
 * @brief Whether bad rows are dropped (the getter of nnb_csv_opts_set_drop_bad_rows(); default 0).
 * @param opts   the CSV options
 * @param enable receives 1 or 0; may be NULL
 * @return NNB_OK; NNB_E_NULL (opts). Since 0.2.
 */
NNB_API nnb_status nnb_csv_opts_get_drop_bad_rows(const nnb_csv_opts *opts, int *enable);

/**
 * @brief Sets the decimal mark of numbers: '.' (the default) or ',' ("17,99", the usual notation
 * of European CSV files, whose delimiter is then ';').
 *
 * With ',' a number cell is read with its one comma as the point; a cell with a '.' or several
 * commas ("1.234,56": a thousands separator) is not a number and is refused (or its row dropped),
 * never guessed. Text columns are read as they are. nnb_csv_detect_decimal_buffer() tells which
 * mark a file uses. The mark may be the delimiter too (',' in a comma-separated file, as
 * spreadsheets in European locales write one): a number with a decimal comma is then quoted
 * ("\"17,99\""), and an unquoted one splits its row into one field too many. Since 0.2.
 *
 * @param opts    the CSV options to change
 * @param decimal '.' or ','
 * @return NNB_OK; NNB_E_NULL; NNB_E_INVALID_ARG (another character).
 */
NNB_API nnb_status nnb_csv_opts_set_decimal(nnb_csv_opts *opts, char decimal);

/**
 * @brief The decimal mark set with nnb_csv_opts_set_decimal(). Since 0.2.
 * @param opts    the CSV options
 * @param decimal receives '.' or ',' (may be NULL)
 * @return NNB_OK; NNB_E_NULL (opts).
 */
NNB_API nnb_status nnb_csv_opts_get_decimal(const nnb_csv_opts *opts, char *decimal);

/**
 * @brief Keeps the missing cells of column `name` (NULL: of every column) instead of refusing
 * them or dropping their rows.
 *
 * A missing cell is an empty one (after trimming spaces) or one of NA, N/A, NaN, nan, null,
 * NULL. Kept, it is NaN in a numeric column and "" (an empty text) in a text column, which no
 * other cell can be; nnb_prep_fill() then fills it (with a value fitted on the training rows and
 * stored in model files). Without this, such a cell is an error, or its row is dropped under
 * nnb_csv_options_set_drop_bad_rows() (which still drops rows with non-numeric cells, and with
 * missing cells in the other columns). Since 0.2.
 *
 * @param opts the CSV options to change
 * @param name the column's name in the header (copied), or NULL for every column
 * @return NNB_OK; NNB_E_NULL (opts); NNB_E_NOMEM.
 */
NNB_API nnb_status nnb_csv_opts_keep_missing(nnb_csv_opts *opts, const char *name);

/**
 * @brief The input limit of reads with these options, for a CSV input of unknown size (pipe,
 * FIFO, device, standard input): overrides nnb_get_input_limit() for them. Since 0.2 (formerly
 * nnb_csv_options_set_input_limit(), Since 0.1).
 * @param opts the options
 * @param n_bytes the limit in bytes (at least 1)
 * @return NNB_OK; NNB_E_NULL; NNB_E_INVALID_ARG (n_bytes is 0).
 */
NNB_API nnb_status nnb_csv_opts_set_input_limit(nnb_csv_opts *opts, size_t n_bytes);

/**
 * @brief The input limit of reads with these options (the getter of
 *        nnb_csv_opts_set_input_limit()); 0 until one is set: nnb_get_input_limit() applies.
 * @param opts    the CSV options
 * @param n_bytes receives the limit in bytes, or 0; may be NULL
 * @return NNB_OK; NNB_E_NULL (opts). Since 0.2.
 */
NNB_API nnb_status nnb_csv_opts_get_input_limit(const nnb_csv_opts *opts, size_t *n_bytes);

/**
 * Reads a CSV file with a header row of column names (RFC 4180: fields may be quoted with '"',
 * quotes doubled inside; quoted fields may hold delimiters and line breaks). Lines may end in
 * "\n", "\r\n" or a bare "\r", mixed in one file; a UTF-8 byte-order mark is skipped; blank lines
 * (and so a trailing one) are ignored. Numbers are decimal ([+-]digits[.digits][e[+-]digits],
 * surrounding spaces allowed), parsed exactly and identically whatever the process locale;
 * infinities, hexadecimal and anything else are errors. opts may be NULL (the defaults).
 * Before reading, the file's size, and after a first pass the table's size, are checked against
 * the memory the process can get (MemAvailable and resource limits): a file too large is refused
 * with NNB_E_TOO_LARGE and a message rather than exhausting memory. The reader holds the file and
 * the table in memory at the same time (about file size + rows x columns x 8 bytes).
 * @return NNB_OK; NNB_E_NULL (out, path); NNB_E_IO (cannot open or read; the message has
 *         strerror); NNB_E_FORMAT (empty file, no data rows, unterminated quote, stray quote,
 *         ragged row, NUL byte, duplicate column name, a missing or non-numeric cell, a number
 *         out of range: the message names file:line:column and the column);
 *         NNB_E_INVALID_ARG (a text or skipped column the header lacks); NNB_E_TOO_LARGE;
 *         NNB_E_NOMEM. *out is NULL on failure.
 * Ownership: free the table with nnb_table_free(). Thread-safe (one table per call). Since 0.1.
 * @param out  receives the new table (NULL on failure)
 * @param path the CSV file
 * @param opts the reader's options, or NULL for the defaults
 */
NNB_API nnb_status nnb_csv_read(nnb_table **out, const char *path, const nnb_csv_opts *opts);

/**
 * Like nnb_csv_read(), from `len` bytes in memory (not NUL-terminated; they are copied). `name`
 * stands for the file name in messages (NULL: "<memory>").
 * @return as nnb_csv_read(), without NNB_E_IO. Since 0.2 (formerly nnb_csv_parse(), Since 0.1).
 * @param out  receives the new table (NULL on failure)
 * @param data the CSV text
 * @param len  its length in bytes
 * @param name the name used in messages, or NULL
 * @param opts the reader's options, or NULL for the defaults
 */
NNB_API nnb_status nnb_csv_read_buffer(nnb_table **out, const char *data, size_t len,
                                       const char *name, const nnb_csv_opts *opts);

/**
 * Frees a table. NULL is a no-op. Since 0.1.
 * @param table the table, or NULL
 */
NNB_API void nnb_table_free(nnb_table *table);

/**
 * Number of rows (after any dropped rows); 0 if NULL. Since 0.1.
 * @param table the table, or NULL
 * @return the count; 0 if table is NULL.
 */
NNB_API size_t nnb_table_n_rows(const nnb_table *table);
/**
 * Number of columns (skipped columns are not counted); 0 if NULL. Since 0.2 (formerly
 * nnb_table_n_cols(), Since 0.1).
 * @param table the table, or NULL
 * @return the count; 0 if table is NULL.
 */
NNB_API size_t nnb_table_n_columns(const nnb_table *table);
/**
 * Number of rows dropped by nnb_csv_opts_set_drop_bad_rows(); 0 if NULL. Since 0.2 (formerly
 * nnb_table_n_dropped(), Since 0.1).
 * @param table the table, or NULL
 * @return the count; 0 if table is NULL.
 */
NNB_API size_t nnb_table_n_dropped_rows(const nnb_table *table);

/**
 * Name of column `column` (0-based), owned by the table and valid until it is freed; NULL if table
 * is NULL or column is out of range. Since 0.2 (formerly nnb_table_col_name(), Since 0.1).
 * @param table  the table, or NULL
 * @param column the column index (0-based)
 * @return the name, or NULL.
 */
NNB_API const char *nnb_table_column_name(const nnb_table *table, size_t column);

/**
 * Index of the column called `name` into *col.
 * @return NNB_OK; NNB_E_NULL; NNB_E_INVALID_ARG (no such column; the message lists the columns).
 * Since 0.2 (formerly nnb_table_find_col(), Since 0.1).
 * @param table  the table
 * @param name   the column's name
 * @param column receives its index
 */
NNB_API nnb_status nnb_table_find_column(const nnb_table *table, const char *name, size_t *column);

/**
 * 1 if column `column` holds texts, 0 if numbers or out of range / NULL. Since 0.2 (formerly
 * nnb_table_col_is_text(), Since 0.1).
 * @param table  the table, or NULL
 * @param column the column index (0-based)
 * @return 1 for a text column, else 0.
 */
NNB_API int nnb_table_column_is_text(const nnb_table *table, size_t column);

/**
 * Copies numeric column `column` (n_rows values) into dst.
 * @return NNB_OK; NNB_E_NULL; NNB_E_INVALID_ARG (column out of range, or a text column);
 *         NNB_E_SHAPE (len < n_rows). Since 0.1.
 * @param table  the table
 * @param column the column index (0-based)
 * @param dst    receives one value per row
 * @param len    the length of dst, at least nnb_table_n_rows()
 */
NNB_API nnb_status nnb_table_get_column(const nnb_table *table, size_t column, double *dst,
                                        size_t len);

/**
 * The text of a cell of a text column, owned by the table (valid until it is freed); NULL if
 * table is NULL, an index is out of range or the column is numeric. A missing cell kept by
 * nnb_csv_opts_keep_missing() is "" (a numeric one is NaN in nnb_table_get_column()).
 * Since 0.1.
 * @param table  the table, or NULL
 * @param row    the row index (0-based)
 * @param column the column index (0-based)
 * @return the cell's text, or NULL.
 */
NNB_API const char *nnb_table_get_text(const nnb_table *table, size_t row, size_t column);

/**
 * The 1-based line of the file on which row `row` starts (for messages); 0 if out of range.
 * Since 0.1.
 * @param table the table, or NULL
 * @param row   the row index (0-based)
 * @return the line number, or 0.
 */
NNB_API size_t nnb_table_row_line(const nnb_table *table, size_t row);

/* ---- preparation --------------------------------------------------------------------------- */

/**
 * A data preparation: column roles, one-hot encodings, scalings and, once fitted, their
 * statistics. Configure it, fit it on training rows, then apply it to any rows of any table with
 * the same column names (a test set, new data). It is what a model file stores to apply a model
 * to raw data. A fitted preparation cannot be reconfigured (NNB_E_STATE); fitting again replaces
 * the statistics.
 */
typedef struct nnb_prep nnb_prep;

/** How a target column becomes Y. */
typedef enum nnb_target_kind {
    NNB_TARGET_VALUES = 0, /**< regression: the column's numbers, one Y column per target column */
    NNB_TARGET_ONEHOT = 1, /**< classification: one Y column per class, 1 in the row's class */
    NNB_TARGET_INDEX = 2   /**< classification: one Y column holding the class index 0..K-1 */
} nnb_target_kind;

/**
 * @brief The canonical name of a target kind: values, onehot, index
 *        (lowercase, the enumerator's suffix; the shared vocabulary of the command and bindings).
 * @param value a nnb_target_kind value.
 * @return a static string, or NULL if value is out of range. Thread-safe. Since 0.1.
 */
NNB_API const char *nnb_target_kind_name(nnb_target_kind value);

/**
 * @brief Parses a target kind name: a canonical name (nnb_target_kind_name()) or an alias
 *        (one_hot (onehot)), case-insensitive, '-' and '_' alike.
 * @param text the name (NUL-terminated).
 * @param out receives the value; unchanged on failure.
 * @return NNB_OK; NNB_E_NULL (text or out); NNB_E_INVALID_ARG (unknown: the message lists the
 *         accepted names and suggests the nearest). Thread-safe. Since 0.1.
 */
NNB_API nnb_status nnb_target_kind_parse(const char *text, nnb_target_kind *out);

/**
 * @brief The number of nnb_target_kind values (they run from 0 to this minus 1), for enumerating them.
 * @return the count. Since 0.2 (formerly nnb_target_kind_count(), Since 0.1).
 */
NNB_API size_t nnb_target_kind_n_values(void);

/** Scaling of a numeric column, fitted on the rows given to nnb_prep_fit(). */
typedef enum nnb_scale {
    NNB_SCALE_NONE = 0,     /**< the values as they are */
    NNB_SCALE_STANDARD = 1, /**< (x - mean) / s, s the sample standard deviation (n - 1) */
    NNB_SCALE_MINMAX = 2    /**< (x - min) / (max - min), into [0, 1] on the fitted rows */
} nnb_scale;
/* The statistics hold for any finite values: the plain sums (sum / n, then the squared
 * deviations) where they neither overflow nor underflow, and, only where they would, the same
 * sums over values scaled by a power of two; x - mean and max - min are taken in halves where
 * they overflow. A standard deviation beyond the largest double is NNB_E_TOO_LARGE, and a value
 * that scales (or unscales) beyond it NNB_E_NONFINITE, never an infinity in the data. */

/**
 * @brief The canonical name of a scaling: none, standard, minmax
 *        (lowercase, the enumerator's suffix; the shared vocabulary of the command and bindings).
 * @param value a nnb_scale value.
 * @return a static string, or NULL if value is out of range. Thread-safe. Since 0.1.
 */
NNB_API const char *nnb_scale_name(nnb_scale value);

/**
 * @brief Parses a scaling name: a canonical name (nnb_scale_name()) or an alias
 *        (standardize, standardise (standard), min_max (minmax)), case-insensitive, '-' and '_' alike.
 * @param text the name (NUL-terminated).
 * @param out receives the value; unchanged on failure.
 * @return NNB_OK; NNB_E_NULL (text or out); NNB_E_INVALID_ARG (unknown: the message lists the
 *         accepted names and suggests the nearest). Thread-safe. Since 0.1.
 */
NNB_API nnb_status nnb_scale_parse(const char *text, nnb_scale *out);

/**
 * @brief The number of nnb_scale values (they run from 0 to this minus 1), for enumerating them.
 * @return the count. Since 0.2 (formerly nnb_scale_count(), Since 0.1).
 */
NNB_API size_t nnb_scale_n_values(void);

/** What applying does with a category it did not see when fitted. */
typedef enum nnb_unseen {
    NNB_UNSEEN_ERROR = 0, /**< NNB_E_FORMAT naming file, line, column and the category (default) */
    NNB_UNSEEN_ZERO = 1   /**< all-zero one-hot columns for that row */
} nnb_unseen;

/**
 * @brief The canonical name of a unseen-category policy: error, zero
 *        (lowercase, the enumerator's suffix; the shared vocabulary of the command and bindings).
 * @param value a nnb_unseen value.
 * @return a static string, or NULL if value is out of range. Thread-safe. Since 0.1.
 */
NNB_API const char *nnb_unseen_name(nnb_unseen value);

/**
 * @brief Parses a unseen-category policy name: a canonical name (nnb_unseen_name()) or an alias
 *        (ignore (zero)), case-insensitive, '-' and '_' alike.
 * @param text the name (NUL-terminated).
 * @param out receives the value; unchanged on failure.
 * @return NNB_OK; NNB_E_NULL (text or out); NNB_E_INVALID_ARG (unknown: the message lists the
 *         accepted names and suggests the nearest). Thread-safe. Since 0.1.
 */
NNB_API nnb_status nnb_unseen_parse(const char *text, nnb_unseen *out);

/**
 * @brief The number of nnb_unseen values (they run from 0 to this minus 1), for enumerating them.
 * @return the count. Since 0.2 (formerly nnb_unseen_count(), Since 0.1).
 */
NNB_API size_t nnb_unseen_n_values(void);

/** How a preparation fills missing cells (kept by nnb_csv_opts_keep_missing(); NaN in a matrix
 *  fitted with nnb_prep_fit_matrix()): with a value fitted on the training rows, stored in model
 *  files and applied to every later table or matrix. */
typedef enum nnb_fill {
    NNB_FILL_NONE = 0,         /**< not filled: a missing cell is an error (the default) */
    NNB_FILL_MEAN = 1,         /**< the mean of the column's present values */
    NNB_FILL_MEDIAN = 2,       /**< their median (the mean of the middle two for an even count) */
    NNB_FILL_MOST_FREQUENT = 3 /**< their most frequent value, or category (the smallest of ties) */
} nnb_fill;

/**
 * @brief The canonical name of a fill of missing cells: none, mean, median, most_frequent
 *        (lowercase, the enumerator's suffix; the shared vocabulary of the command and bindings).
 * @param value a nnb_fill value.
 * @return a static string, or NULL if value is out of range. Thread-safe. Since 0.2.
 */
NNB_API const char *nnb_fill_name(nnb_fill value);

/**
 * @brief Parses a fill name: a canonical name (nnb_fill_name()) or an alias
 *        (mode, most_common (most_frequent), average (mean)), case-insensitive, '-' and '_' alike.
 * @param text the name (NUL-terminated).
 * @param out receives the value; unchanged on failure.
 * @return NNB_OK; NNB_E_NULL (text or out); NNB_E_INVALID_ARG (unknown: the message lists the
 *         accepted names and suggests the nearest). Thread-safe. Since 0.2.
 */
NNB_API nnb_status nnb_fill_parse(const char *text, nnb_fill *out);

/**
 * @brief The number of nnb_fill values (they run from 0 to this minus 1), for enumerating them.
 * @return the count. Since 0.2.
 */
NNB_API size_t nnb_fill_n_values(void);

/**
 * Creates an empty preparation: every column is a numeric feature, unscaled, until set otherwise.
 * @return NNB_OK; NNB_E_NULL; NNB_E_NOMEM. Ownership: free with nnb_prep_free(). Since 0.1.
 * @param out receives the new preparation (NULL on failure)
 */
NNB_API nnb_status nnb_prep_create(nnb_prep **out);

/**
 * Frees a preparation. NULL is a no-op. Since 0.1.
 * @param prep the preparation, or NULL
 */
NNB_API void nnb_prep_free(nnb_prep *prep);

/**
 * Adds column `column` to the targets. Several NNB_TARGET_VALUES targets are allowed (in table
 * order in Y); a classification target (ONEHOT or INDEX) must be the only target. The classes are
 * the distinct values of the column on the fitted rows, sorted (numerically if the column is
 * numeric, else by bytes).
 * @return NNB_OK; NNB_E_NULL; NNB_E_INVALID_ARG (unknown kind, a second classification target,
 *         a column given another role); NNB_E_STATE (already fitted); NNB_E_NOMEM. Since 0.2
 *         (formerly nnb_prep_set_target(), Since 0.1).
 * @param prep   the preparation to configure (not yet fitted)
 * @param column the target column's name
 * @param kind   how it becomes Y
 */
NNB_API nnb_status nnb_prep_add_target(nnb_prep *prep, const char *column, nnb_target_kind kind);

/**
 * Leaves column `column` out of X and Y. Same return codes as nnb_prep_add_target(). Since 0.1.
 * @param prep   the preparation to configure (not yet fitted)
 * @param column the column's name
 * @return as nnb_prep_add_target().
 */
NNB_API nnb_status nnb_prep_drop(nnb_prep *prep, const char *column);

/**
 * One-hot encodes feature column `column` (numeric or text): one X column per category seen on
 * the fitted rows, in sorted order (numerically for a numeric column), named column_category
 * ("rank_1" .. "rank_4"; numbers in their shortest exact form), in the column's place.
 * Same return codes as nnb_prep_add_target(). Since 0.1.
 * @param prep   the preparation to configure (not yet fitted)
 * @param column the column's name
 * @return NNB_OK, or an error status as above (nnb_last_error() says why).
 */
NNB_API nnb_status nnb_prep_onehot(nnb_prep *prep, const char *column);

/**
 * Scales numeric column `column` (a feature, or a NNB_TARGET_VALUES target). column NULL sets the
 * scaling of every numeric feature not named in another call. A column whose fitted standard
 * deviation (or range) is 0 is not divided by zero: it is only shifted (to 0), and reported by
 * nnb_prep_n_constant_columns() and nnb_prep_column_stats().
 * @return NNB_OK; NNB_E_NULL (prep); NNB_E_INVALID_ARG (unknown scaling, a one-hot or dropped or
 *         classification column); NNB_E_STATE; NNB_E_NOMEM. Since 0.1.
 * @param prep   the preparation to configure (not yet fitted)
 * @param column the column's name, or NULL for every other numeric feature
 * @param how    the scaling
 */
NNB_API nnb_status nnb_prep_scale(nnb_prep *prep, const char *column, nnb_scale how);

/**
 * @brief Fills the missing cells of feature column `column` (NULL: of every feature column not
 * named in another call) with a value fitted on the rows given to nnb_prep_fit().
 *
 * A missing cell is NaN in a numeric column or "" in a text column: the CSV reader keeps them
 * under nnb_csv_opts_keep_missing() (otherwise they are refused or their rows dropped). The
 * fill is the mean, median or most frequent value of the column's present cells on the fitted
 * rows; a one-hot (category) column is always filled with its most frequent category, whatever
 * `how` (a mean of categories means nothing). A numeric column is filled first and scaled
 * after, so its statistics include the filled cells (as scikit-learn's SimpleImputer followed by
 * a scaler). The fitted values are kept (nnb_prep_column_fill()) and stored in model files, so
 * predicting on new data fills the same way. A column with a missing cell and no fill is an
 * error at nnb_prep_fit() and nnb_prep_apply() naming file, line and column; a column whose
 * every fitted cell is missing cannot be filled (NNB_E_INVALID_ARG). Targets are never filled: a
 * row without a target cannot be used (drop it: nnb_csv_options_set_drop_bad_rows() without
 * keeping the target's missing cells). For a matrix preparation give column NULL before
 * nnb_prep_fit_matrix(): its NaN cells are then filled (infinities are still refused). Since 0.2.
 *
 * @param prep   the preparation to configure (not yet fitted)
 * @param column the column's name, or NULL for every other feature column
 * @param how    the fill (NNB_FILL_NONE: missing cells are an error, the default)
 * @return NNB_OK; NNB_E_NULL (prep); NNB_E_INVALID_ARG (unknown fill, a target or dropped
 *         column); NNB_E_STATE (already fitted); NNB_E_NOMEM.
 */
NNB_API nnb_status nnb_prep_fill(nnb_prep *prep, const char *column, nnb_fill how);

/**
 * @brief Counts the cells of one-hot (category) feature columns whose category the preparation
 * did not see when fitted, in rows `rows[0..n_rows)` of `table` (rows NULL: all rows): what
 * nnb_prep_apply() encodes as all zeros under NNB_UNSEEN_ZERO (and refuses under
 * NNB_UNSEEN_ERROR), for a program that says how many (the nnblas command does). Missing cells
 * and columns the table lacks are not counted. Since 0.2.
 * @param prep       a fitted preparation
 * @param table      the table (read only)
 * @param rows       the rows to look at, or NULL for all
 * @param n_rows     their count
 * @param n_cells    receives the unseen cells, or NULL
 * @param n_rows_hit receives the rows with at least one, or NULL
 * @return NNB_OK; NNB_E_NULL; NNB_E_STATE (not fitted); NNB_E_INVALID_ARG (a row out of range);
 *         NNB_E_NOMEM.
 */
NNB_API nnb_status nnb_prep_n_unseen(const nnb_prep *prep, const nnb_table *table,
                                     const size_t *rows, size_t n_rows, size_t *n_cells,
                                     size_t *n_rows_hit);

/**
 * @brief The fitted fill of a column's missing cells (see nnb_prep_fill()).
 * @param prep     a fitted preparation
 * @param column   an input column's name (a matrix preparation's are "x0", "x1", ...)
 * @param how      receives the fill (NNB_FILL_NONE: not filled), or NULL
 * @param value    receives a numeric column's fill value (NaN for a category column), or NULL
 * @param category receives a category column's fill category (owned by prep; NULL for a
 *                 numeric column or no fill), or NULL
 * @return NNB_OK; NNB_E_NULL (prep, column); NNB_E_STATE (not fitted); NNB_E_INVALID_ARG (no
 *         such input column). Since 0.2.
 */
NNB_API nnb_status nnb_prep_column_fill(const nnb_prep *prep, const char *column, nnb_fill *how,
                                        double *value, const char **category);

/**
 * Sets what applying does with unseen categories (may be changed after fitting). Since 0.1.
 * @return NNB_OK; NNB_E_NULL; NNB_E_INVALID_ARG.
 * @param prep   the preparation
 * @param policy what to do with an unseen category
 */
NNB_API nnb_status nnb_prep_set_unseen(nnb_prep *prep, nnb_unseen policy);

/**
 * @brief What applying does with unseen categories (the getter of nnb_prep_set_unseen(); a
 *        preparation from a model file has the policy it was saved with).
 * @param prep   the preparation
 * @param policy receives the policy; may be NULL
 * @return NNB_OK; NNB_E_NULL (prep). Since 0.2.
 */
NNB_API nnb_status nnb_prep_get_unseen(const nnb_prep *prep, nnb_unseen *policy);

/**
 * Fits the preparation on rows `rows[0..n_rows)` of `table` (rows NULL: all rows of the table, in
 * order; n_rows must then be nnb_table_n_rows()): the categories, classes, means, sample standard
 * deviations, minima and maxima. Only these rows are read, so fitting on the training part keeps
 * the test part unseen.
 * @return NNB_OK; NNB_E_NULL (prep, table); NNB_E_INVALID_ARG (n_rows 0, a row index out of
 *         range, a named column the table lacks, fewer than 2 rows for a standard scaling, no
 *         feature left); NNB_E_FORMAT (a text column used as a number); NNB_E_TOO_LARGE (a
 *         column's standard deviation beyond the largest double); NNB_E_NOMEM. On failure
 *         the preparation is left unfitted. Thread notes: reads the table only. Since 0.1.
 * @param prep   the preparation to fit
 * @param table  the table to fit on (read only)
 * @param rows   the indices of the rows to fit on, or NULL for all rows
 * @param n_rows their count (nnb_table_n_rows() with rows NULL)
 */
NNB_API nnb_status nnb_prep_fit(nnb_prep *prep, const nnb_table *table, const size_t *rows,
                                size_t n_rows);

/**
 * Fits a preparation for a plain matrix x (n_rows x n_columns, e.g. images from
 * nnb_idx_read_images()): every column is a numeric feature named "x0", "x1", ... scaled with
 * `how`. Use nnb_prep_transform() to apply it in place.
 * @return NNB_OK; NNB_E_NULL; NNB_E_INVALID_ARG (n_rows or n_columns 0, unknown scaling, fewer than
 *         2 rows for a standard scaling); NNB_E_STATE (already configured from a table);
 *         NNB_E_NONFINITE; NNB_E_NOMEM. Since 0.1.
 * @param prep      the preparation to fit (new)
 * @param x         the matrix, n_rows x n_columns, row-major
 * @param n_rows    its rows
 * @param n_columns its columns
 * @param how       the scaling of every column
 */
NNB_API nnb_status nnb_prep_fit_matrix(nnb_prep *prep, const double *x, size_t n_rows,
                                       size_t n_columns, nnb_scale how);

/**
 * @brief nnb_prep_fit_matrix() on a float32 matrix (e.g. from nnb_mnist_read_part_f32()): each
 *        float
 * is read as the double it equals and the statistics are accumulated in double, so the result is
 * nnb_prep_fit_matrix()'s on the matrix widened to double, without a float64 copy of it.
 * @return as nnb_prep_fit_matrix(). Since 0.2.
 * @param prep      the preparation to fit (new)
 * @param x         the matrix, n_rows x n_columns, row-major
 * @param n_rows    its rows
 * @param n_columns its columns
 * @param how       the scaling of every column
 */
NNB_API nnb_status nnb_prep_fit_matrix_f32(nnb_prep *prep, const float *x, size_t n_rows,
                                           size_t n_columns, nnb_scale how);

/**
 * 1 once fitted, else 0 (also for NULL). Since 0.1.
 * @param prep the preparation, or NULL
 * @return 1 if fitted, else 0.
 */
NNB_API int nnb_prep_is_fitted(const nnb_prep *prep);

/**
 * Columns of X after fitting (0 before, or for NULL). Since 0.1.
 * @param prep the preparation, or NULL
 * @return the count, or 0.
 */
NNB_API size_t nnb_prep_n_features(const nnb_prep *prep);

/**
 * Columns of Y after fitting: the number of classes (ONEHOT), 1 (INDEX) or the number of
 * target columns (VALUES); 0 without targets, before fitting, or for NULL. Since 0.1.
 * @param prep the preparation, or NULL
 * @return the count, or 0.
 */
NNB_API size_t nnb_prep_n_targets(const nnb_prep *prep);

/**
 * Writes rows `rows[0..n_rows)` of `table` (rows NULL: all rows, n_rows = nnb_table_n_rows())
 * into x (n_rows x nnb_prep_n_features(), row-major; x_len at least that) and, if y is not NULL,
 * y (n_rows x nnb_prep_n_targets()). With y NULL (y_len 0) the table need not have the target
 * columns (new data to predict). Columns are found by name, so the table may order them
 * differently from the one fitted on.
 * @return NNB_OK; NNB_E_NULL; NNB_E_STATE (not fitted); NNB_E_INVALID_ARG (a row out of range,
 *         a needed column missing); NNB_E_SHAPE (x_len or y_len too small); NNB_E_FORMAT (an
 *         unseen category under NNB_UNSEEN_ERROR, an unseen class, a text column where numbers
 *         are needed: the message names file:line:column); NNB_E_NONFINITE (a value that scales
 *         beyond double's range, or float32's). x and y may be partly written on failure.
 *         Since 0.1.
 * @param prep   the fitted preparation
 * @param table  the table to read (read only)
 * @param rows   the indices of the rows to write, or NULL for all rows
 * @param n_rows their count (nnb_table_n_rows() with rows NULL)
 * @param x      receives the features, n_rows x nnb_prep_n_features()
 * @param x_len  the length of x
 * @param y      receives the targets, n_rows x nnb_prep_n_targets(); may be NULL
 * @param y_len  the length of y (0 with y NULL)
 */
NNB_API nnb_status nnb_prep_apply(const nnb_prep *prep, const nnb_table *table, const size_t *rows,
                                  size_t n_rows, double *x, size_t x_len, double *y, size_t y_len);

/**
 * @brief nnb_prep_apply() into float32 x and y: the same values, each computed in double and
 * rounded once to float (so float32 data for a float32 network needs no float64 copy: half the
 * memory).
 * @return as nnb_prep_apply(). Since 0.2.
 * @param prep   the fitted preparation
 * @param table  the table to read (read only)
 * @param rows   the indices of the rows to write, or NULL for all rows
 * @param n_rows their count (nnb_table_n_rows() with rows NULL)
 * @param x      receives the features, n_rows x nnb_prep_n_features()
 * @param x_len  the length of x
 * @param y      receives the targets, n_rows x nnb_prep_n_targets(); may be NULL
 * @param y_len  the length of y (0 with y NULL)
 */
NNB_API nnb_status nnb_prep_apply_f32(const nnb_prep *prep, const nnb_table *table,
                                      const size_t *rows, size_t n_rows, float *x, size_t x_len,
                                      float *y, size_t y_len);

/**
 * Applies a preparation made by nnb_prep_fit_matrix() to x (n_rows x n_columns) in place.
 * @return NNB_OK; NNB_E_NULL; NNB_E_STATE (not fitted, or fitted on a table); NNB_E_SHAPE
 *         (n_columns differs from the fitted matrix). Since 0.1.
 * @param prep      a preparation fitted by nnb_prep_fit_matrix()
 * @param x         the matrix to scale in place, n_rows x n_columns
 * @param n_rows    its rows
 * @param n_columns its columns (as fitted)
 */
NNB_API nnb_status nnb_prep_transform(const nnb_prep *prep, double *x, size_t n_rows,
                                      size_t n_columns);

/**
 * @brief nnb_prep_transform() on float32 x in place: each value computed in double from the
 * float and rounded once.
 * @return as nnb_prep_transform(). Since 0.2.
 * @param prep      a preparation fitted by nnb_prep_fit_matrix()
 * @param x         the matrix to scale in place, n_rows x n_columns
 * @param n_rows    its rows
 * @param n_columns its columns (as fitted)
 */
NNB_API nnb_status nnb_prep_transform_f32(const nnb_prep *prep, float *x, size_t n_rows,
                                          size_t n_columns);

/**
 * Undoes the scaling of NNB_TARGET_VALUES targets in y (n_rows x nnb_prep_n_targets()) in place,
 * e.g. on a regression network's predictions. Unscaled targets are left as they are.
 * @return NNB_OK; NNB_E_NULL; NNB_E_STATE (not fitted, or classification targets);
 *         NNB_E_SHAPE (n_targets). Since 0.1.
 * @param prep      the fitted preparation
 * @param y         the targets to unscale in place, n_rows x n_targets
 * @param n_rows    its rows
 * @param n_targets its columns: nnb_prep_n_targets()
 */
NNB_API nnb_status nnb_prep_inverse_targets(const nnb_prep *prep, double *y, size_t n_rows,
                                            size_t n_targets);

/**
 * @brief nnb_prep_inverse_targets() on float32 y in place (e.g. a float32 network's
 * predictions): each value computed in double from the float and rounded once.
 * @return as nnb_prep_inverse_targets(). Since 0.2.
 * @param prep      the fitted preparation
 * @param y         the targets to unscale in place, n_rows x n_targets
 * @param n_rows    its rows
 * @param n_targets its columns: nnb_prep_n_targets()
 */
NNB_API nnb_status nnb_prep_inverse_targets_f32(const nnb_prep *prep, float *y, size_t n_rows,
                                                size_t n_targets);

/**
 * Name of X column j ("gre", "rank_3"), owned by the preparation; NULL if out of range, not
 * fitted or NULL. Since 0.1.
 * @param prep the preparation, or NULL
 * @param j    the X column (0-based)
 * @return the name, or NULL.
 */
NNB_API const char *nnb_prep_feature_name(const nnb_prep *prep, size_t j);

/**
 * Name of Y column j: the target column's name (VALUES, INDEX) or column_class (ONEHOT,
 * "admit_1"); owned by the preparation; NULL if out of range, not fitted or NULL. Since 0.1.
 * @param prep the preparation, or NULL
 * @param j    the Y column (0-based)
 * @return the name, or NULL.
 */
NNB_API const char *nnb_prep_target_name(const nnb_prep *prep, size_t j);

/**
 * Number of classes of a classification target after fitting, else 0. Since 0.1.
 * @param prep the preparation, or NULL
 * @return the number of classes, or 0.
 */
NNB_API size_t nnb_prep_n_classes(const nnb_prep *prep);

/**
 * Label of class k as it reads in the data ("0", "setosa"), owned by the preparation; NULL if
 * out of range. Class k is Y column k (ONEHOT) or index value k (INDEX). Since 0.1.
 * @param prep the preparation, or NULL
 * @param k    the class (0-based)
 * @return the label, or NULL.
 */
NNB_API const char *nnb_prep_class_label(const nnb_prep *prep, size_t k);

/**
 * The fitted scaling of column `column`: *how, and *a, *b = mean and sample standard deviation
 * (STANDARD), min and max (MINMAX), 0 and 1 (NONE); *constant = 1 if the deviation or range is 0
 * (the column is then only shifted). Any out-pointer may be NULL.
 * @return NNB_OK; NNB_E_NULL (prep, column); NNB_E_STATE (not fitted); NNB_E_INVALID_ARG (no
 *         such numeric feature or target column). Since 0.1.
 * @param prep     the fitted preparation
 * @param column   the column's name
 * @param how      receives the scaling; may be NULL
 * @param a        receives the first statistic; may be NULL
 * @param b        receives the second statistic; may be NULL
 * @param constant receives 1 for a constant column, else 0; may be NULL
 */
NNB_API nnb_status nnb_prep_column_stats(const nnb_prep *prep, const char *column, nnb_scale *how,
                                         double *a, double *b, int *constant);

/**
 * Number of scaled columns found constant (zero deviation or range) when fitted. Since 0.2
 * (formerly nnb_prep_n_constant(), Since 0.1).
 * @param prep the preparation, or NULL
 * @return the count, or 0.
 */
NNB_API size_t nnb_prep_n_constant_columns(const nnb_prep *prep);

/**
 * Name of the i-th constant column (0 <= i < nnb_prep_n_constant_columns()), or NULL. Since 0.1.
 * @param prep the preparation, or NULL
 * @param i    the index among the constant columns
 * @return the name, or NULL.
 */
NNB_API const char *nnb_prep_constant_name(const nnb_prep *prep, size_t i);

/**
 * The columns a fitted preparation reads, for callers that must read new data the same way (a
 * model file's preparation, say): features and targets in the order of the table it was fitted on
 * (dropped columns are not among them), or a matrix preparation's "x0", "x1", ...
 * nnb_prep_n_columns() gives their number (0 if not fitted, or for NULL).
 * Since 0.1.
 * @param prep the preparation, or NULL
 * @return the number of input columns, or 0.
 */
NNB_API size_t nnb_prep_n_columns(const nnb_prep *prep);

/**
 * Describes input column i (0 <= i < nnb_prep_n_columns()): *name (owned by the preparation),
 * *is_target (1 for a target column), *is_text (1 if it was read as text: tell the CSV reader
 * with nnb_csv_opts_add_text_column() when reading new data) and *n_categories (the one-hot
 * categories of a feature, the classes of a classification target, else 0; their labels come from
 * nnb_prep_column_category()). The scaling of a numeric column comes from nnb_prep_column_stats().
 * Any out-pointer may be NULL.
 * @return NNB_OK; NNB_E_NULL (prep); NNB_E_STATE (not fitted); NNB_E_INVALID_ARG (i out of
 *         range). Since 0.1.
 * @param prep         the fitted preparation
 * @param i            the input column (0-based)
 * @param name         receives its name; may be NULL
 * @param is_target    receives 1 for a target; may be NULL
 * @param is_text      receives 1 for a text column; may be NULL
 * @param n_categories receives its categories or classes, else 0; may be NULL
 */
NNB_API nnb_status nnb_prep_column_info(const nnb_prep *prep, size_t i, const char **name,
                                        int *is_target, int *is_text, size_t *n_categories);

/**
 * Label of category (or class) k of input column i, owned by the preparation; NULL if out of
 * range, not fitted or NULL. Since 0.1.
 * @param prep the preparation, or NULL
 * @param i    the input column (0-based)
 * @param k    the category or class (0-based)
 * @return the label, or NULL.
 */
NNB_API const char *nnb_prep_column_category(const nnb_prep *prep, size_t i, size_t k);

/**
 * The kind of the targets of a fitted preparation (NNB_TARGET_VALUES when it has none, and for
 * NULL or an unfitted one). Since 0.1.
 * @param prep the preparation, or NULL
 * @return the target kind.
 */
NNB_API nnb_target_kind nnb_prep_target_kind(const nnb_prep *prep);

/**
 * 1 if the preparation was fitted with nnb_prep_fit_matrix() (apply it with
 * nnb_prep_transform()), 0 otherwise (also for NULL or an unfitted one). Since 0.1.
 * @param prep the preparation, or NULL
 * @return 1 for a matrix preparation, else 0.
 */
NNB_API int nnb_prep_is_matrix(const nnb_prep *prep);

/* ---- shuffles and splits ------------------------------------------------------------------- */

/**
 * Writes a random permutation of 0..n_rows-1 into order (len >= n_rows), from `seed` with nnblas's
 * own generator (splitmix64 -> xoshiro256**, Fisher-Yates), identical on every platform.
 * @return NNB_OK; NNB_E_NULL (order with n_rows > 0); NNB_E_SHAPE (len < n_rows). Since 0.2
 *         (formerly nnb_permutation(), Since 0.1).
 * @param n_rows the number of items
 * @param seed   the seed
 * @param order  receives the permutation
 * @param len    the length of order, >= n_rows
 */
NNB_API nnb_status nnb_rows_permute(size_t n_rows, uint64_t seed, size_t *order, size_t len);

/**
 * A seeded split of n_rows rows into train, test and validation parts. order (len >= n_rows)
 * receives a permutation of 0..n_rows-1: first the n_train training rows, then the n_test test
 * rows, then the n_val validation rows, each part in random order. n_test = round(test_frac *
 * n_rows) and n_val = round(val_frac * n_rows); training gets the rest and must get at least one
 * row. With strata (n_strata == n_rows values, e.g. class labels or indices) the split is
 * stratified: the rows of each distinct value are split alone with the same fractions (rounded per
 * value), so each part keeps the class proportions; strata NULL (n_strata 0) splits at random. The
 * same seed and inputs give the same split everywhere. Any count pointer may be NULL.
 * @return NNB_OK; NNB_E_NULL; NNB_E_INVALID_ARG (a fraction not in [0, 1), test_frac + val_frac
 *         >= 1, no training row, NaN in strata); NNB_E_SHAPE (len < n_rows, n_strata != n_rows);
 *         NNB_E_NOMEM (stratified only). Since 0.2 (formerly nnb_split(), Since 0.1).
 * @param n_rows    the number of rows
 * @param test_frac the test fraction, in [0, 1)
 * @param val_frac  the validation fraction, in [0, 1)
 * @param seed      the seed
 * @param strata    one stratum value per row, or NULL
 * @param n_strata  the length of strata: n_rows, or 0
 * @param order     receives the permutation: training, test, then validation rows
 * @param len       the length of order, >= n_rows
 * @param n_train   receives the training rows; may be NULL
 * @param n_test    receives the test rows; may be NULL
 * @param n_val     receives the validation rows; may be NULL
 */
NNB_API nnb_status nnb_rows_split(size_t n_rows, double test_frac, double val_frac, uint64_t seed,
                                  const double *strata, size_t n_strata, size_t *order, size_t len,
                                  size_t *n_train, size_t *n_test, size_t *n_val);

/**
 * Copies rows rows[0..n_rows) of src (n_src_rows x n_columns) into dst (n_rows x n_columns, dst_len
 * at least that), e.g. to make a training matrix from an IDX matrix and a split. dst must not
 * overlap src.
 * @return NNB_OK; NNB_E_NULL; NNB_E_INVALID_ARG (an index >= n_src_rows); NNB_E_SHAPE. Since 0.2
 *         (formerly nnb_gather_rows(), Since 0.1).
 * @param src        the source matrix, n_src_rows x n_columns
 * @param n_src_rows its rows
 * @param n_columns  its columns
 * @param rows       the indices of the rows to copy
 * @param n_rows     their count
 * @param dst        receives the rows, n_rows x n_columns
 * @param dst_len    the length of dst
 */
NNB_API nnb_status nnb_rows_gather(const double *src, size_t n_src_rows, size_t n_columns,
                                   const size_t *rows, size_t n_rows, double *dst, size_t dst_len);

/* ---- IDX files (MNIST, Fashion-MNIST) ------------------------------------------------------ */

/**
 * Reads the header of an IDX file, gzipped (detected from its first bytes) or raw: *n_items is
 * the first dimension, *n_item_values the product of the others (784 for 28x28 images, 1 for
 * labels). Any out-pointer may be NULL. The magic (0, 0, type, dims), the element type (only
 * unsigned bytes, 0x08, are supported) and the dimensions are validated, and for a raw file the
 * size must match; a gzipped file must be large enough to hold what its header announces (deflate
 * compresses at most 1032:1), so a small file cannot make a caller allocate gigabytes. Only regular
 * files are read (an IDX file is opened more than once: a FIFO or a device is refused, never waited
 * on).
 * @return NNB_OK; NNB_E_NULL (path); NNB_E_IO (cannot open or read; not a regular file);
 *         NNB_E_FORMAT (bad magic,
 *         zero dimension, truncated header or data, wrong size); NNB_E_UNSUPPORTED (another
 *         element type); NNB_E_TOO_LARGE (sizes overflow). Thread-safe. Since 0.1.
 * @param path          the IDX file
 * @param n_items       receives the first dimension; may be NULL
 * @param n_item_values receives the product of the others; may be NULL
 */
NNB_API nnb_status nnb_idx_info(const char *path, size_t *n_items, size_t *n_item_values);

/**
 * Decodes an IDX file of unsigned bytes straight into x (n_items x n_item_values doubles, each byte
 * / 255 so in [0, 1]; x_len at least that): no other full-size buffer is made. *n_rows and
 * *n_columns (may be NULL) receive the shape. A file that ends early, has bytes after its data or
 * fails its gzip checksum is an error: x is then partly written.
 * @return as nnb_idx_info(), and NNB_E_NULL (x), NNB_E_SHAPE (x_len too small). Since 0.1.
 * @param path      the IDX file of unsigned bytes
 * @param x         receives the values, n_items x n_item_values
 * @param x_len     the length of x
 * @param n_rows    receives n_items; may be NULL
 * @param n_columns receives n_item_values; may be NULL
 */
NNB_API nnb_status nnb_idx_read_images(const char *path, double *x, size_t x_len, size_t *n_rows,
                                       size_t *n_columns);

/**
 * Reads an IDX file of labels (one byte per item) into y: with n_classes 0, one class index per
 * row (y_len >= n_items); with n_classes > 0, one-hot rows (y_len >= n_items x n_classes) and a
 * label >= n_classes is NNB_E_FORMAT. *n_rows (may be NULL) receives n_items.
 * @return as nnb_idx_read_images(); NNB_E_FORMAT also for an n_item_values other than 1. Since 0.1.
 * @param path      the IDX labels file
 * @param n_classes 0 for class indices, else the classes of one-hot rows
 * @param y         receives the labels
 * @param y_len     the length of y
 * @param n_rows    receives n_items; may be NULL
 */
NNB_API nnb_status nnb_idx_read_labels(const char *path, size_t n_classes, double *y, size_t y_len,
                                       size_t *n_rows);

/**
 * @brief nnb_idx_read_images() into float32 (each byte / 255, rounded): half the memory.
 * @param path the IDX file (gzipped or raw)
 * @param x receives n_items x n_item_values floats
 * @param x_len length of x
 * @param n_rows receives n_items (may be NULL)
 * @param n_columns receives n_item_values (may be NULL)
 * @return as nnb_idx_read_images(). Since 0.2.
 */
NNB_API nnb_status nnb_idx_read_images_f32(const char *path, float *x, size_t x_len, size_t *n_rows,
                                           size_t *n_columns);

/**
 * @brief nnb_idx_read_labels() into float32.
 * @param path the IDX file of labels
 * @param n_classes 0 for class indices, else the width of one-hot rows
 * @param y receives the labels
 * @param y_len length of y
 * @param n_rows receives n_items (may be NULL)
 * @return as nnb_idx_read_labels(). Since 0.2.
 */
NNB_API nnb_status nnb_idx_read_labels_f32(const char *path, size_t n_classes, float *y,
                                           size_t y_len, size_t *n_rows);

/** The two parts of the MNIST family of data sets. */
typedef enum nnb_mnist_part {
    NNB_MNIST_TRAIN = 0, /**< train-images-idx3-ubyte, train-labels-idx1-ubyte (60000 rows) */
    NNB_MNIST_TEST = 1   /**< t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (10000 rows) */
} nnb_mnist_part;

/**
 * @brief The canonical name of a MNIST part: train, test
 *        (lowercase, the enumerator's suffix; the shared vocabulary of the command and bindings).
 * @param value a nnb_mnist_part value.
 * @return a static string, or NULL if value is out of range. Thread-safe. Since 0.1.
 */
NNB_API const char *nnb_mnist_part_name(nnb_mnist_part value);

/**
 * @brief Parses a MNIST part name: a canonical name (nnb_mnist_part_name()) or an alias
 *        (t10k (test)), case-insensitive, '-' and '_' alike.
 * @param text the name (NUL-terminated).
 * @param out receives the value; unchanged on failure.
 * @return NNB_OK; NNB_E_NULL (text or out); NNB_E_INVALID_ARG (unknown: the message lists the
 *         accepted names and suggests the nearest). Thread-safe. Since 0.1.
 */
NNB_API nnb_status nnb_mnist_part_parse(const char *text, nnb_mnist_part *out);

/**
 * @brief The number of nnb_mnist_part values (they run from 0 to this minus 1), for enumerating them.
 * @return the count. Since 0.2 (formerly nnb_mnist_part_count(), Since 0.1).
 */
NNB_API size_t nnb_mnist_part_n_values(void);

/**
 * The shape of one part of an MNIST-style folder (MNIST, Fashion-MNIST: the Debian package
 * dataset-fashion-mnist installs /usr/share/datasets/fashion-mnist), whose files have the
 * standard names, each gzipped (".gz") or not. The images and labels must have the same count.
 * Any out-pointer may be NULL.
 * @return NNB_OK; NNB_E_NULL (dir); NNB_E_INVALID_ARG (part); NNB_E_IO (a file is missing:
 *         the message names it); NNB_E_FORMAT (as nnb_idx_info(), or the counts differ). Since 0.1.
 * @param dir       the folder
 * @param part      the part to describe
 * @param n_rows    receives the images; may be NULL
 * @param n_columns receives the pixels per image; may be NULL
 */
NNB_API nnb_status nnb_mnist_info(const char *dir, nnb_mnist_part part, size_t *n_rows,
                                  size_t *n_columns);

/**
 * Reads one part of an MNIST-style folder: images into x (n_rows x n_columns, in [0, 1]) and labels
 * into y (rows x 10 one-hot with onehot 1, else rows class indices). y may be NULL (y_len 0) to
 * read the images only. Sizes come from nnb_mnist_info().
 * @return as nnb_mnist_info() and nnb_idx_read_labels(); NNB_E_INVALID_ARG (onehot not 0/1).
 * Since 0.2 (formerly nnb_mnist_read(), Since 0.1).
 * @param dir    the folder
 * @param part   the part to read
 * @param onehot 1 for one-hot rows of 10, 0 for class indices
 * @param x      receives the images, n_rows x n_columns
 * @param x_len  the length of x
 * @param y      receives the labels; may be NULL
 * @param y_len  the length of y (0 with y NULL)
 */
NNB_API nnb_status nnb_mnist_read_part(const char *dir, nnb_mnist_part part, int onehot, double *x,
                                       size_t x_len, double *y, size_t y_len);

/**
 * @brief nnb_mnist_read_part() into float32 arrays (Fashion-MNIST's 60000 x 784 training images:
 *        188 MB
 * instead of 376 MB), to train a float32 network on in place.
 * @param dir the MNIST-style folder
 * @param part NNB_MNIST_TRAIN or NNB_MNIST_TEST
 * @param onehot 1: one-hot rows of 10; 0: class indices
 * @param x receives n_rows x n_columns images in [0, 1]
 * @param x_len length of x
 * @param y receives the labels (may be NULL with y_len 0)
 * @param y_len length of y
 * @return as nnb_mnist_read_part(). Since 0.2 (formerly nnb_mnist_read_f32()).
 */
NNB_API nnb_status nnb_mnist_read_part_f32(const char *dir, nnb_mnist_part part, int onehot,
                                           float *x, size_t x_len, float *y, size_t y_len);


/* ============================================================================================== */
/* Model files                                                                                    */
/* ============================================================================================== */

/*
 * A model file holds everything needed to use a trained network on raw data, and to go on
 * training it: the architecture (layers, activations, leaky slopes, biases), the parameters, the
 * fitted data preparation (column roles, one-hot categories, scaling statistics, column names,
 * class labels), free-form string metadata, and optionally the training state (optimiser moments,
 * counters and the generator, see nnb_net_train_state_get()), so that nnb_net_train() continues bit
 * for bit after a load.
 *
 * The format (docs/model-format.md) is binary and the same on every host: a magic number, a
 * format version and a byte-order mark, then tagged sections of little-endian integers and
 * IEEE-754 doubles, then a CRC-32 of it all. A file of a newer minor version loads (unknown
 * optional sections are skipped); a newer major version is refused with NNB_E_VERSION.
 *
 *     nnb_model_write("model.nnb", net, prep, meta, 1);          // 1: with the training state
 *     ...
 *     nnb_net *net; nnb_prep *prep; nnb_meta *meta;
 *     nnb_model_read(&net, &prep, &meta, "model.nnb");          // prep NULL if none was saved
 *
 * Saving to a path writes a temporary file in the same folder, flushes and fsyncs it and renames
 * it over the target (then fsyncs the folder): a failure leaves the old file as it was and no
 * temporary file behind. Loading checks every length and count against the bytes present before
 * allocating anything, and the checksum; a damaged file is an error with a message, never a crash.
 *
 * Threads: an nnb_meta handle is used by one thread at a time, like every handle. Saving only
 * reads the network, preparation and metadata, so it may run while other threads predict from the
 * same network (but not while one trains it). Loading creates new objects and is thread-safe.
 */

/** Free-form metadata: an ordered list of string keys with string values (an opaque handle). */
typedef struct nnb_meta nnb_meta;

/**
 * Creates an empty metadata list.
 * @return NNB_OK; NNB_E_NULL (out NULL); NNB_E_NOMEM. Free with nnb_meta_free(). Since 0.1.
 * @param out receives the new list (NULL on failure)
 */
NNB_API nnb_status nnb_meta_create(nnb_meta **out);

/**
 * Frees a metadata list. NULL is a no-op. Since 0.1.
 * @param meta the list, or NULL
 */
NNB_API void nnb_meta_free(nnb_meta *meta);

/**
 * Sets key to value: replaces the value of an existing key (keeping its place) or appends the
 * pair. Both strings are copied. The key must not be empty; the value may be. Keys and values are
 * stored as given (bytes, UTF-8 by convention), each up to 16 MiB (2^24 bytes).
 * @return NNB_OK; NNB_E_NULL (meta, key or value); NNB_E_INVALID_ARG (empty key, too long);
 *         NNB_E_NOMEM (the list is unchanged). Since 0.1.
 * @param meta  the metadata list
 * @param key   the key, not empty
 * @param value the value
 */
NNB_API nnb_status nnb_meta_set(nnb_meta *meta, const char *key, const char *value);

/**
 * The value of key, owned by the list (valid until the key is set again or the list freed);
 * NULL if absent, or if meta or key is NULL. Since 0.1.
 * @param meta the list, or NULL
 * @param key  the key
 * @return the value, or NULL.
 */
NNB_API const char *nnb_meta_get(const nnb_meta *meta, const char *key);

/**
 * Number of pairs (0 for NULL). Since 0.2 (formerly nnb_meta_count(), Since 0.1).
 * @param meta the list, or NULL
 * @return the number of pairs, or 0.
 */
NNB_API size_t nnb_meta_n_keys(const nnb_meta *meta);

/**
 * Key and value of pair i (0 <= i < nnb_meta_n_keys()), in the order they were first set; owned
 * by the list; NULL if i is out of range or meta NULL. Since 0.1.
 * @param meta the list, or NULL
 * @param i    the pair (0-based)
 * @return the key, or NULL.
 */
NNB_API const char *nnb_meta_key(const nnb_meta *meta, size_t i);
/**
 * The value of pair i (see nnb_meta_key()), owned by the list; NULL if i is out of range or meta
 * NULL. Since 0.1.
 * @param meta the list, or NULL
 * @param i    the pair (0-based)
 * @return the value, or NULL.
 */
NNB_API const char *nnb_meta_value(const nnb_meta *meta, size_t i);

/**
 * Saves a model to `path`, atomically: the bytes go to a new temporary file in the same folder
 * (named path + ".tmp" + 6 random characters), which is flushed, fsync'd, given the mode of the
 * file it replaces (or 0666 less the umask) and renamed over `path`; then the folder is fsync'd
 * (where the file system allows). On any failure the temporary file is removed and an existing
 * file at `path` is untouched. A crash (power loss, kill -9) during the save leaves the old or
 * the new file complete, and at worst a stray temporary file.
 * prep (a fitted preparation) and meta may be NULL: the file then has none. with_train_state = 1
 * also stores the network's training state (nnb_net_train_state_get()), so that training can
 * resume after nnb_model_read() exactly where it stopped; 0 leaves it out.
 * Thread notes: reads net, prep and meta only.
 * @return NNB_OK; NNB_E_NULL (path, net); NNB_E_INVALID_ARG (a network without layers, an
 *         unfitted preparation, with_train_state not 0/1); NNB_E_SHAPE (the preparation's feature
 *         or target count differs from the network's inputs or outputs); NNB_E_IO (creating,
 *         writing, syncing or renaming failed: the message names the file and has strerror);
 *         NNB_E_TOO_LARGE; NNB_E_NOMEM. Since 0.2 (formerly nnb_model_save(), Since 0.1).
 * @param path             the file to write
 * @param net              the network (read only)
 * @param prep             a fitted preparation, or NULL
 * @param meta             the metadata, or NULL
 * @param with_train_state 1 to store the training state, 0 not to
 */
NNB_API nnb_status nnb_model_write(const char *path, const nnb_net *net, const nnb_prep *prep,
                                   const nnb_meta *meta, int with_train_state);

/**
 * The exact size in bytes of the model nnb_model_write_buffer() would write with these arguments;
 * 0 if they are invalid (the last error then says why). Since 0.2 (formerly nnb_model_save_size(),
 * Since 0.1).
 * @param net              the network
 * @param prep             a fitted preparation, or NULL
 * @param meta             the metadata, or NULL
 * @param with_train_state 1 to count the training state, else 0
 * @return the size in bytes, or 0 for invalid arguments.
 */
NNB_API size_t nnb_model_write_size(const nnb_net *net, const nnb_prep *prep, const nnb_meta *meta,
                                    int with_train_state);

/**
 * Writes the model into the caller's buffer buf (len bytes): the same bytes nnb_model_write()
 * puts in a file. *n_written (may be NULL) receives the byte count, or on NNB_E_SHAPE the count
 * needed (nnb_model_write_size()).
 * @return as nnb_model_write() without NNB_E_IO; NNB_E_NULL also for buf;
 *         NNB_E_SHAPE (len too small; nothing is written). Since 0.2 (formerly
 *         nnb_model_save_buffer(), Since 0.1).
 * @param net              the network (read only)
 * @param prep             a fitted preparation, or NULL
 * @param meta             the metadata, or NULL
 * @param with_train_state 1 to store the training state, 0 not to
 * @param buf              receives the bytes
 * @param len              the capacity of buf in bytes
 * @param n_written        receives the bytes written (or needed); may be NULL
 */
NNB_API nnb_status nnb_model_write_buffer(const nnb_net *net, const nnb_prep *prep,
                                          const nnb_meta *meta, int with_train_state, void *buf,
                                          size_t len, size_t *n_written);

/**
 * Loads a model file: *net receives the network (architecture, parameters and, if the file has
 * it, the training state; otherwise a fresh state with the generator seeded 0); *prep the fitted
 * preparation, or NULL when the file has none; *meta the metadata (an empty list when the file
 * has none). prep and meta may be NULL when not wanted. Free what you receive with nnb_net_free(),
 * nnb_prep_free(), nnb_meta_free().
 * The file is read whole; every length and count is checked against the bytes present before
 * anything is allocated, then the CRC-32, then every value (activations, shapes, statistics,
 * categories). On failure every out-pointer is set to NULL and nothing leaks.
 * @return NNB_OK; NNB_E_NULL (path, net); NNB_E_IO (cannot open or read; strerror);
 *         NNB_E_FORMAT (not a model file, truncated, inconsistent contents: the message says
 *         where); NNB_E_CHECKSUM (the CRC-32 does not match: the file is damaged);
 *         NNB_E_VERSION (a newer major format version, or a section this version cannot skip);
 *         NNB_E_TOO_LARGE (larger than the memory the process can get); NNB_E_NOMEM;
 *         NNB_E_UNSUPPORTED (NNBLAS_ISA, as nnb_net_create()). Thread-safe. Since 0.2
 *         (formerly nnb_model_load(), Since 0.1).
 * @param net  receives the network
 * @param prep receives the preparation or NULL; may itself be NULL
 * @param meta receives the metadata; may itself be NULL
 * @param path the model file
 */
NNB_API nnb_status nnb_model_read(nnb_net **net, nnb_prep **prep, nnb_meta **meta,
                                  const char *path);

/**
 * Like nnb_model_read(), from len bytes in memory (read only; they may be freed afterwards).
 * @return as nnb_model_read() without NNB_E_IO; NNB_E_NULL also for buf. Since 0.2 (formerly
 *         nnb_model_load_buffer(), Since 0.1).
 * @param net  receives the network
 * @param prep receives the preparation or NULL; may itself be NULL
 * @param meta receives the metadata; may itself be NULL
 * @param buf  the model's bytes
 * @param len  their count
 */
NNB_API nnb_status nnb_model_read_buffer(nnb_net **net, nnb_prep **prep, nnb_meta **meta,
                                         const void *buf, size_t len);

/* ============================================================================================== */
/* Export: ONNX and C source                                                                      */
/* ============================================================================================== */

/*
 * A trained model leaves nnblas in two forms (docs/export.md):
 *  - an ONNX file (IR version 7, opset 13) that onnxruntime, a browser or onnx2c runs:
 *    nnb_onnx_write();
 *  - one C99 source file and its header, the parameters compiled in, with
 *    int NAME_predict(const float *in, float *out) (double for a float64 network) and a batch
 *    variant, no allocation, no global state, nothing but <math.h>: nnb_c_source_write().
 * Both take the raw features nnblas predict takes (the preparation stored with the model is
 * inside: column order, scaling, one-hot columns; for a model trained on IDX images, the image
 * bytes 0-255) and give what nnblas predict gives (class probabilities, or regression targets in
 * the data's units). A one-hot column of text takes the index of its category (the categories
 * travel in the ONNX metadata, and in the C file with NAME_category()). The exporters read the
 * model through the public API only, write with their own small protobuf encoder (no library
 * beyond libc), and write files atomically (as nnb_model_write()). Thread notes: they only read
 * the network, preparation and metadata.
 */

/** Options of an export (an opaque handle): a name, the input scale, int8 weights, own math. */
typedef struct nnb_export_opts nnb_export_opts;

/**
 * @brief Creates export options with the defaults: name "model", input scale automatic, float
 *        weights, <math.h>.
 * @param out receives the options (NULL on failure); free with nnb_export_opts_free()
 * @return NNB_OK; NNB_E_NULL; NNB_E_NOMEM. Since 0.2.
 */
NNB_API nnb_status nnb_export_opts_create(nnb_export_opts **out);

/**
 * @brief Frees export options. NULL is a no-op. Since 0.2.
 * @param opts the options, or NULL
 */
NNB_API void nnb_export_opts_free(nnb_export_opts *opts);

/**
 * @brief Sets the name: the prefix of every name in the C source (NAME_predict, NAME_N_INPUTS)
 *        and the ONNX graph's name.
 * @param opts the options
 * @param name a C identifier of 1 to 40 characters starting with a letter ([A-Za-z][A-Za-z0-9_]*)
 * @return NNB_OK; NNB_E_NULL; NNB_E_INVALID_ARG (not such an identifier). Since 0.2.
 */
NNB_API nnb_status nnb_export_opts_set_name(nnb_export_opts *opts, const char *name);

/**
 * @brief The getter of nnb_export_opts_set_name().
 * @param opts the options
 * @param name receives the name, owned by opts (valid until it is set again or opts freed); may
 *             be NULL
 * @return NNB_OK; NNB_E_NULL (opts). Since 0.2.
 */
NNB_API nnb_status nnb_export_opts_get_name(const nnb_export_opts *opts, const char **name);

/**
 * @brief Sets the scale applied to every raw input before the preparation: the exported model
 *        takes raw values v and prepares v * scale (exactly v / 255 for 1/255). 0, the default,
 *        is automatic: 1/255 for a model whose metadata says it was trained on IDX images
 *        ("data" beginning with "idx:", as nnblas train writes it), so that it takes the image
 *        bytes 0-255, else 1.
 * @param opts  the options
 * @param scale finite and > 0, or 0 for automatic
 * @return NNB_OK; NNB_E_NULL; NNB_E_INVALID_ARG (negative or not finite). A scale other than 1
 *         on a model with one-hot inputs makes the export fail with NNB_E_INVALID_ARG. Since 0.2.
 */
NNB_API nnb_status nnb_export_opts_set_input_scale(nnb_export_opts *opts, double scale);

/**
 * @brief The getter of nnb_export_opts_set_input_scale().
 * @param opts  the options
 * @param scale receives the scale (0: automatic); may be NULL
 * @return NNB_OK; NNB_E_NULL (opts). Since 0.2.
 */
NNB_API nnb_status nnb_export_opts_get_input_scale(const nnb_export_opts *opts, double *scale);

/**
 * @brief C source only: int8 weights, a scale per output unit (nnb_net_copy_int8()):
 *        about a quarter of the float32 file's parameter bytes.
 * @param opts   the options
 * @param enable 1 for int8 weights, 0 (the default) for the network's own type
 * @return NNB_OK; NNB_E_NULL; NNB_E_INVALID_ARG (not 0 or 1). Since 0.2.
 */
NNB_API nnb_status nnb_export_opts_set_int8(nnb_export_opts *opts, int enable);

/**
 * @brief The getter of nnb_export_opts_set_int8().
 * @param opts   the options
 * @param enable receives 1 or 0; may be NULL
 * @return NNB_OK; NNB_E_NULL (opts). Since 0.2.
 */
NNB_API nnb_status nnb_export_opts_get_int8(const nnb_export_opts *opts, int *enable);

/**
 * @brief C source only: the file's own exp and tanh instead of <math.h>'s, so that it needs no
 *        header and no library at all (exp within 1.5 ulp, tanh within 3 ulp of the exact
 *        values; tested).
 * @param opts   the options
 * @param enable 1 for the file's own functions, 0 (the default) for <math.h>
 * @return NNB_OK; NNB_E_NULL; NNB_E_INVALID_ARG (not 0 or 1). Since 0.2.
 */
NNB_API nnb_status nnb_export_opts_set_own_math(nnb_export_opts *opts, int enable);

/**
 * @brief The getter of nnb_export_opts_set_own_math().
 * @param opts   the options
 * @param enable receives 1 or 0; may be NULL
 * @return NNB_OK; NNB_E_NULL (opts). Since 0.2.
 */
NNB_API nnb_status nnb_export_opts_get_own_math(const nnb_export_opts *opts, int *enable);

/**
 * Writes a model as an ONNX file (IR version 7, opset 13), atomically (as nnb_model_write()).
 * The graph takes "input" (N x raw inputs, float for a float32 network, double for a float64
 * one; N symbolic) and gives "output" (N x nnb_net_n_outputs()) and, for a classifier, "class"
 * (N, int64). The preparation is inside, computed in float64 as nnb_prep computes it; a row with
 * a one-hot value that is none of its categories gives NaN outputs (or zeros in its one-hot
 * columns under NNB_UNSEEN_ZERO). The metadata (metadata_props) holds "nnblas.inputs" (a JSON
 * list of the raw inputs: names, kinds, categories), "nnblas.outputs", "nnblas.classes", and the
 * model's own metadata as "model.KEY". docs/export.md describes the graph.
 * @param path the file to write
 * @param net  the network (read only)
 * @param prep its fitted preparation, or NULL (the inputs are then the network's)
 * @param meta its metadata, or NULL
 * @param opts the options, or NULL for the defaults (int8 and own math do not apply)
 * @return NNB_OK; NNB_E_NULL (path, net); NNB_E_INVALID_ARG (a network without layers, an
 *         unfitted preparation, an input scale with one-hot inputs); NNB_E_SHAPE (the
 *         preparation's features differ from the network's inputs); NNB_E_UNSUPPORTED (two
 *         categories one float32 value; a layer kind this version does not know); NNB_E_IO (as nnb_model_write()); NNB_E_TOO_LARGE (over
 *         2 GB, protobuf's limit); NNB_E_NOMEM. Since 0.2.
 */
NNB_API nnb_status nnb_onnx_write(const char *path, const nnb_net *net, const nnb_prep *prep,
                                  const nnb_meta *meta, const nnb_export_opts *opts);

/**
 * Writes a model as C99 source: c_path gets the parameters as const arrays and
 * int NAME_predict(const T *in, T *out), int NAME_predict_batch(const T *in, unsigned long
 * rows, T *out), the input and output names and, for a classifier, NAME_class() and the class
 * labels (T is float for a float32 network, double for a float64 one: nnb_net_copy() one
 * first for the other); h_path gets their declarations. The inputs are the raw features the ONNX
 * export takes, the outputs what nnblas predict writes. The source includes the header by its
 * file name, which must be letters, digits and . - _ +. Each file is written atomically, both
 * completely before either is renamed into place. It compiles with -std=c99 -Wall -Wextra
 * -Werror -pedantic, allocates nothing and keeps no mutable global state. On x86-64 (GCC 6+,
 * Clang 7+, flags without AVX2, not own math) the layers are compiled a second time for AVX2 +
 * FMA and NAME_predict picks by the CPU (__builtin_cpu_supports); NAME_NO_DISPATCH defined
 * when compiling the file turns that off (docs/export.md, "Speed").
 * @param c_path the source file to write
 * @param h_path the header to write, or NULL: c_path with ".c" replaced by (or without it,
 *               followed by) ".h"
 * @param net    the network (read only)
 * @param prep   its fitted preparation, or NULL
 * @param meta   its metadata, or NULL
 * @param opts   the options, or NULL for the defaults
 * @return as nnb_onnx_write(), and NNB_E_INVALID_ARG (the two paths name one file; a header
 *         file name with other characters); NNB_E_TOO_LARGE (over 2 GB). Since 0.2.
 */
NNB_API nnb_status nnb_c_source_write(const char *c_path, const char *h_path, const nnb_net *net,
                                      const nnb_prep *prep, const nnb_meta *meta,
                                      const nnb_export_opts *opts);

/**
 * @brief A copy of `src` whose weights are those of the int8 C export: each output unit's row
 *        of W (a convolution: each filter's C x KH x KW weights) is divided by its scale
 *        s = max|w| / 127 (rounded to the network's type), rounded to an integer in [-127, 127]
 *        and multiplied back. Biases stay; pooling layers have nothing to round. To measure
 *        what int8 costs (nnb_net_evaluate() on it) before exporting.
 * @param out receives the copy, to free with nnb_net_free() (NULL on failure)
 * @param src the network (not changed)
 * @return NNB_OK; NNB_E_NULL; NNB_E_UNSUPPORTED (a layer kind this version does not know);
 *         NNB_E_NOMEM. Since 0.2.
 */
NNB_API nnb_status nnb_net_copy_int8(nnb_net **out, const nnb_net *src);

/* ============================================================================================== */
/* Convenience: the defaults and rules of the command and the bindings                            */
/* ============================================================================================== */

/*
 * Policy, not numerics: the choices the nnblas command, the Python binding and its scikit-learn
 * estimators make when the caller does not (an output layer for a kind of target, a loss for an
 * output layer, a learning rate for an optimiser, whether a numeric target looks like classes).
 * They take them from these functions, so that they agree (the tests check it), and a program
 * that wants the same defaults may call them too. The promise differs from the rest of the
 * header: the names and signatures are stable, but an answer may change in a minor release (a
 * better default), and the CHANGELOG says so when it does. Out-of-range arguments get the result
 * of the first enumerator (identity, values, sgd).
 */

/**
 * @brief The output activation for a kind of target: identity for NNB_TARGET_VALUES
 *        (regression), softmax for NNB_TARGET_ONEHOT (classes), sigmoid for NNB_TARGET_INDEX
 *        (one output holding the class of a two-class target).
 * @param kind the target kind.
 * @return the activation. Since 0.1.
 */
NNB_API nnb_activation nnb_default_output(nnb_target_kind kind);

/**
 * @brief The output activation a loss works with: softmax for CE, sigmoid for BCE, identity for
 *        MSE and SSE.
 * @param loss the loss.
 * @return the activation. Since 0.1.
 */
NNB_API nnb_activation nnb_default_output_for_loss(nnb_loss loss);

/**
 * @brief The loss to train an output layer with: CE for softmax, BCE for a sigmoid output on a
 *        class target (ONEHOT or INDEX), MSE otherwise (a sigmoid on values in [0, 1] included).
 * @param output the output layer's activation.
 * @param kind the target kind.
 * @return the loss. Since 0.1.
 */
NNB_API nnb_loss nnb_default_loss(nnb_activation output, nnb_target_kind kind);

/**
 * @brief Appends a layer given in words, the vocabulary of the command's `--layers` and of the
 *        Python binding: `128` (a dense layer of 128 units), `conv32x3p1` (a convolution of 32
 *        filters of 3 x 3 with padding 1; `conv32x3x5` a 3 x 5 kernel, `s2` a stride of 2,
 *        `psame` "same" padding), `maxpool2` and `avgpool2` (pooling over 2 x 2 windows moved by
 *        the window's size unless `s<stride>` follows; `maxpool3x2` a 3 x 2 window).
 * @param net      the network
 * @param spec     the layer, as above (NUL-terminated)
 * @param act      the activation of a dense or convolution layer (pooling has none: ignored)
 * @param has_bias 1 for a bias, 0 for none (dense and convolution layers)
 * @return NNB_OK; NNB_E_NULL; NNB_E_INVALID_ARG (a specification that is none of these: the
 *         message says what was expected), and what nnb_net_add_dense(), nnb_net_add_conv2d(),
 *         nnb_net_add_maxpool() or nnb_net_add_avgpool() return. Since 0.2.
 */
NNB_API nnb_status nnb_net_add_layer_spec(nnb_net *net, const char *spec, nnb_activation act,
                                          int has_bias);

/**
 * @brief Whether a loss can train an output layer (nnb_net_train() refuses the others): CE needs
 *        softmax, BCE a sigmoid; MSE and SSE take any activation.
 * @param loss the loss.
 * @param output the output layer's activation.
 * @return 1 if it can, 0 if not (and for out-of-range values). Since 0.1.
 */
NNB_API int nnb_loss_fits(nnb_loss loss, nnb_activation output);

/**
 * @brief The weight initialisation for a network whose hidden layers use `hidden`: he_normal for
 *        relu and leaky_relu, xavier_uniform otherwise (also for a network without hidden layers:
 *        pass its output activation).
 * @param hidden the hidden activation.
 * @return the scheme. Since 0.1.
 */
NNB_API nnb_init nnb_default_init(nnb_activation hidden);

/**
 * @brief The learning rate to start from with an optimiser: 0.001 for adam, adamw and rmsprop,
 *        0.01 for the others (for lm it is unused: lm has its own damping).
 * @param opt the optimiser.
 * @return the learning rate. Since 0.1.
 */
NNB_API double nnb_default_lr(nnb_optimizer opt);

/**
 * @brief Whether numeric target values look like class labels rather than quantities: every
 *        value whole and at most 20 distinct values (the command's --task auto rule for a numeric
 *        target; a text target is always classes).
 * @param values the target values (NaN is not whole).
 * @param n_values their number.
 * @return 1 if they look like classes, 0 if not (also for n_values 0 or values NULL). Allocates
 *         nothing; O(n_values * 21). Since 0.1.
 */
NNB_API int nnb_values_look_like_classes(const double *values, size_t n_values);

/**
 * @brief Whether a class target has too many classes to learn from its rows ("nearly one class
 *        per row": a continuous quantity taken for classes): more than 20 classes averaging fewer
 *        than 5 rows each, or at least 3 classes and fewer than 2 rows per class.
 * @param n_classes the number of distinct classes.
 * @param n_rows the number of rows.
 * @return 1 if it has too many (the command refuses such a target), else 0. Since 0.2 (formerly
 *         nnb_too_many_classes(), Since 0.1).
 */
NNB_API int nnb_target_has_too_many_classes(size_t n_classes, size_t n_rows);

/**
 * @brief The scaling of numeric features when none is asked for: NNB_SCALE_STANDARD (the
 *        command's --standardize default for CSV data, and the Python binding's).
 * @return the scaling. Since 0.1.
 */
NNB_API nnb_scale nnb_default_scale(void);

/* ============================================================================================== */
/* Experimental: not yet stable (NNB_EXPERIMENTAL)                                                */
/* ============================================================================================== */

/*
 * The experimental tier: declarations that work and are tested like the rest but are not yet
 * stable. Their signatures and behaviour may change, or they may go, in any release (0.x or
 * later) without first being deprecated; the rest of this header is the stable tier. They are
 * declared only for a caller that asks for them by defining NNB_EXPERIMENTAL before including
 * this header (as zstd's ZSTD_STATIC_LINKING_ONLY), so that using them is a visible choice:
 *
 *     #define NNB_EXPERIMENTAL
 *     #include <nnblas.h>
 *
 * The library always exports them (the ABI does not depend on the macro), and each carries the
 * tag NNB_EXPERIMENTAL in its documentation. Prefer libnnblas_mpi (nnblas_mpi.h) to calling the
 * data-parallel hooks directly: it follows their changes.
 */

#if defined(NNB_EXPERIMENTAL) || defined(BUILDING_NNBLAS)

/**
 * @brief Data-parallel training: makes this worker shard `rank` of `n_ranks`.
 *
 * NNB_EXPERIMENTAL: the building block of libnnblas_mpi, usable with any transport.
 * A worker that is shard `rank` of `n_ranks` trains on its share of every mini-batch: the workers
 * draw the same shuffle (their networks must start identical, generator included: copy the
 * parameters and nnb_net_train_state from one to the others first), each global batch of
 * batch_size rows is cut into `n_ranks` contiguous parts and worker `rank` computes the loss and
 * gradient of part `rank` (scaled by the whole batch's row count under the mean reduction), then
 * the all-reduce function sums the gradient over the workers, so every worker takes the same step.
 * Epoch losses, accuracies and validation (each worker evaluates its part of the validation rows)
 * are summed the same way, and so are stop decisions: a callback that stops one worker stops all
 * of them at the next all-reduce, and an error on one worker (a non-finite loss) is seen by all.
 * With `n_ranks` workers the weights equal one worker's (n_ranks 1) up to the rounding of the sums.
 * Dropout masks come from a per-worker generator, so with dropout the workers' runs differ from a
 * single worker's. Levenberg-Marquardt is not data-parallel (NNB_E_UNSUPPORTED).
 * n_ranks 1 (the default) turns it off. Since 0.1.
 * @param opts    the training options to change
 * @param rank    this worker's index, below n_ranks
 * @param n_ranks the number of workers (>= 1)
 * @return NNB_OK; NNB_E_NULL (opts); NNB_E_INVALID_ARG (n_ranks 0, rank >= n_ranks).
 */
NNB_API nnb_status nnb_train_opts_set_shard(nnb_train_opts *opts, size_t rank, size_t n_ranks);

/**
 * @brief Reads back this worker's shard and the number of shards (NNB_EXPERIMENTAL; default 0, 1).
 *
 * The getter of nnb_train_opts_set_shard(): its values, in its order. Any out-pointer may be NULL.
 * Since 0.2.
 * @param opts the training options
 * @param rank receives this worker's index; may be NULL
 * @param n_ranks receives the number of workers; may be NULL
 * @return NNB_OK; NNB_E_NULL (opts).
 */
NNB_API nnb_status nnb_train_opts_get_shard(const nnb_train_opts *opts, size_t *rank,
                                            size_t *n_ranks);

/**
 * @brief The all-reduce of data-parallel training (NNB_EXPERIMENTAL).
 *
 * Sums `n_values` doubles element-wise over all workers, in place (every worker receives the sums),
 * and returns 0; non-zero means it failed, and nnb_net_train() then returns NNB_E_COMM. It is
 * called once per mini-batch (the gradient and a few counters, so n_values is the parameter count
 * plus a few) and a few times per epoch, in the same order on every worker. Since 0.1.
 * @param data      the values to sum, replaced by the sums
 * @param n_values  their count
 * @param user_data the pointer given to nnb_train_opts_set_allreduce()
 * @return 0 on success, non-zero on failure.
 */
typedef int (*nnb_allreduce_fn)(double *data, size_t n_values, void *user_data);

/**
 * @brief Sets the all-reduce function of data-parallel training (NNB_EXPERIMENTAL).
 *
 * NULL (the default) with a shard count above 1 is an error at nnb_net_train(). Since 0.1.
 * @param opts      the training options to change
 * @param fn        the all-reduce, or NULL
 * @param user_data passed to every call of fn
 * @return NNB_OK; NNB_E_NULL (opts).
 */
NNB_API nnb_status nnb_train_opts_set_allreduce(nnb_train_opts *opts, nnb_allreduce_fn fn,
                                                void *user_data);

/**
 * @brief Reads back the all-reduce function and its user data (NNB_EXPERIMENTAL; default NULL,
 *        NULL).
 *
 * The getter of nnb_train_opts_set_allreduce(): its values, in its order. Any out-pointer may be
 * NULL. Since 0.2.
 * @param opts the training options
 * @param fn receives the function, or NULL; may be NULL
 * @param user_data receives its user data; may be NULL
 * @return NNB_OK; NNB_E_NULL (opts).
 */
NNB_API nnb_status nnb_train_opts_get_allreduce(const nnb_train_opts *opts, nnb_allreduce_fn *fn,
                                                void **user_data);

/**
 * @brief The all-reduce of a float32 network's gradient in data-parallel training
 * (NNB_EXPERIMENTAL).
 *
 * As nnb_allreduce_fn over floats: sums `n_values` floats element-wise over all workers, in place,
 * and returns 0 (non-zero: nnb_net_train() returns NNB_E_COMM). Called once per mini-batch with a
 * float32 network's gradient followed by its few counters (n_values is the parameter count plus 2);
 * the epoch's sums still go through the nnb_allreduce_fn. Since 0.2.
 * @param data      the values to sum, replaced by the sums
 * @param n_values  their count
 * @param user_data the pointer given to nnb_train_opts_set_allreduce_f32()
 * @return 0 on success, non-zero on failure.
 */
typedef int (*nnb_allreduce_f32_fn)(float *data, size_t n_values, void *user_data);

/**
 * @brief Sets the float32 gradient all-reduce of data-parallel training (NNB_EXPERIMENTAL).
 *
 * With it, a float32 network's gradient is summed in float32 (half the bytes on the wire);
 * without it (NULL, the default) it is converted to double and summed through the
 * nnb_allreduce_fn. A float64 network never calls it. nnb_mpi_train() sets it. Since 0.2.
 * @param opts      the training options to change
 * @param fn        the float32 all-reduce, or NULL
 * @param user_data passed to every call of fn
 * @return NNB_OK; NNB_E_NULL (opts).
 */
NNB_API nnb_status nnb_train_opts_set_allreduce_f32(nnb_train_opts *opts, nnb_allreduce_f32_fn fn,
                                                    void *user_data);

/**
 * @brief Reads back the float32 all-reduce function and its user data (NNB_EXPERIMENTAL; default
 *        NULL, NULL).
 *
 * The getter of nnb_train_opts_set_allreduce_f32(): its values, in its order. Any out-pointer may
 * be NULL. Since 0.2.
 * @param opts the training options
 * @param fn receives the function, or NULL; may be NULL
 * @param user_data receives its user data; may be NULL
 * @return NNB_OK; NNB_E_NULL (opts).
 */
NNB_API nnb_status nnb_train_opts_get_allreduce_f32(const nnb_train_opts *opts,
                                                    nnb_allreduce_f32_fn *fn, void **user_data);

/**
 * @brief The overlap hook of data-parallel training: "this piece of the gradient is final"
 * (NNB_EXPERIMENTAL).
 *
 * Called by the backward pass of every mini-batch while it still runs, so that a transport can
 * start summing the gradient (a non-blocking all-reduce) while the rest of the gradient is
 * computed. The pieces come last layer first: descending offsets, each piece ending where the
 * previous one began, together covering grad[0 .. n_params) exactly once per mini-batch, in the
 * same order and sizes on every worker (a worker whose share of a batch is empty announces zeros
 * in the same pieces). The values of a piece do not change until the all-reduce function is called
 * after the backward pass, with the whole buffer as without the hook; it must then return with all
 * of it summed (completing what the hook started, and summing the values after n_params).
 * @param grad the gradient buffer (the same pointer the all-reduce function then receives)
 * @param offset the index of the piece's first value
 * @param n_values the piece's length in values
 * @param user_data the pointer given to nnb_train_opts_set_grad_ready()
 * @return 0, or non-zero when it failed: nnb_net_train() then returns NNB_E_COMM.
 * Since 0.2.
 */
typedef int (*nnb_grad_ready_fn)(double *grad, size_t offset, size_t n_values, void *user_data);

/**
 * @brief Sets the overlap hook of data-parallel training (NNB_EXPERIMENTAL; see
 * nnb_grad_ready_fn).
 *
 * Used only with a shard count above 1 and an all-reduce function; NULL (the default) keeps the
 * synchronous path, where the all-reduce function is the only call per mini-batch (for transports
 * that cannot overlap). With a hook the plain-SGD fused update is not used. A float32 network
 * never calls it: its hook is nnb_train_opts_set_grad_ready_f32()'s.
 * @param opts the options
 * @param fn the hook, or NULL to turn it off
 * @param n_piece_values the largest piece in values: a layer's weight gradient is computed in
 *                       blocks
 *        of whole rows of at most this many values (at least one row), each announced as soon as it
 *        is computed; 0 announces whole layers
 * @param user_data passed to fn
 * @return NNB_OK, or NNB_E_NULL (opts NULL).
 * Since 0.2.
 */
NNB_API nnb_status nnb_train_opts_set_grad_ready(nnb_train_opts *opts, nnb_grad_ready_fn fn,
                                                 size_t n_piece_values, void *user_data);

/**
 * @brief Reads back the overlap hook, its largest piece and its user data (NNB_EXPERIMENTAL;
 *        default NULL, 0, NULL).
 *
 * The getter of nnb_train_opts_set_grad_ready(): its values, in its order. Any out-pointer may be
 * NULL. Since 0.2.
 * @param opts the training options
 * @param fn receives the hook, or NULL; may be NULL
 * @param n_piece_values receives the largest piece in values; may be NULL
 * @param user_data receives its user data; may be NULL
 * @return NNB_OK; NNB_E_NULL (opts).
 */
NNB_API nnb_status nnb_train_opts_get_grad_ready(const nnb_train_opts *opts, nnb_grad_ready_fn *fn,
                                                 size_t *n_piece_values, void **user_data);

/**
 * @brief The overlap hook of a float32 network's data-parallel training: "this piece of the
 * float gradient is final" (NNB_EXPERIMENTAL).
 *
 * nnb_grad_ready_fn over floats, with the same contract: the pieces come last layer first
 * (descending, contiguous, covering grad[0 .. n_params) once per mini-batch, the same pieces on
 * every worker, zeros announced by a worker whose share of a batch is empty), and the values of
 * a piece do not change until the float32 all-reduce function (nnb_allreduce_f32_fn) is called
 * after the backward pass with the whole buffer (n_params + 2 floats); it must then return with
 * all of it summed. Since 0.2.
 * @param grad the float32 gradient buffer (the pointer the float32 all-reduce then receives)
 * @param offset the index of the piece's first value
 * @param n_values the piece's length in values
 * @param user_data the pointer given to nnb_train_opts_set_grad_ready_f32()
 * @return 0, or non-zero when it failed: nnb_net_train() then returns NNB_E_COMM.
 */
typedef int (*nnb_grad_ready_f32_fn)(float *grad, size_t offset, size_t n_values, void *user_data);

/**
 * @brief Sets the overlap hook of a float32 network's data-parallel training (NNB_EXPERIMENTAL;
 * see nnb_grad_ready_f32_fn).
 *
 * Used only by a float32 network, with a shard count above 1 and a float32 all-reduce function
 * (nnb_train_opts_set_allreduce_f32()); otherwise (and with NULL, the default) its gradient is
 * summed by the all-reduce function after the backward pass, as without it. A float64 network
 * never calls it (its hook is nnb_train_opts_set_grad_ready()'s); options may hold both. With a
 * hook the plain-SGD fused update is not used. Since 0.2.
 * @param opts the options
 * @param fn the hook, or NULL to turn it off
 * @param n_piece_values the largest piece in values: a layer's weight gradient is computed in
 *                       blocks
 *        of whole rows of at most this many values (at least one row), each announced as soon as it
 *        is computed; 0 announces whole layers
 * @param user_data passed to fn
 * @return NNB_OK, or NNB_E_NULL (opts NULL).
 */
NNB_API nnb_status nnb_train_opts_set_grad_ready_f32(nnb_train_opts *opts, nnb_grad_ready_f32_fn fn,
                                                     size_t n_piece_values, void *user_data);

/**
 * @brief Reads back the float32 network's overlap hook, its largest piece and its user data
 *        (NNB_EXPERIMENTAL; default NULL, 0, NULL).
 *
 * The getter of nnb_train_opts_set_grad_ready_f32(): its values, in its order. Any out-pointer may
 * be NULL. Since 0.2.
 * @param opts the training options
 * @param fn receives the hook, or NULL; may be NULL
 * @param n_piece_values receives the largest piece in values; may be NULL
 * @param user_data receives its user data; may be NULL
 * @return NNB_OK; NNB_E_NULL (opts).
 */
NNB_API nnb_status nnb_train_opts_get_grad_ready_f32(const nnb_train_opts *opts,
                                                     nnb_grad_ready_f32_fn *fn,
                                                     size_t *n_piece_values, void **user_data);

/**
 * @brief Sets this thread's last-error message and returns `status` (NNB_EXPERIMENTAL).
 *
 * For a companion library (libnnblas_mpi) or a binding that reports its own failures through
 * nnb_last_error() like the library's: `return nnb_set_error(NNB_E_COMM, "...")`. A message
 * longer than 1023 bytes is cut. Thread-safe (thread-local). Since 0.1.
 * @param status  returned unchanged
 * @param message the new message; NULL sets ""
 * @return status.
 */
NNB_API nnb_status nnb_set_error(nnb_status status, const char *message);

#endif /* NNB_EXPERIMENTAL */

/* ============================================================================================== */
/* Deprecated names: kept until 1.0                                                               */
/* ============================================================================================== */

/*
 * The names the naming rule replaced (CONTRIBUTING.md, "Naming"; docs/guide.md, "Deprecated
 * names", has the table). Each still works, until 1.0: a renamed function is the same function
 * under its old name (the same symbol, version NNBLAS_0), and a function whose parameters moved
 * keeps its old order under its old name. The compiler warns where one is used and names the
 * replacement (NNB_DISABLE_DEPRECATION_WARNINGS silences it); NNB_NO_DEPRECATED leaves them out.
 * scripts/migrate_names.py rewrites a program to the new names.
 */

#ifndef NNB_NO_DEPRECATED

/** @deprecated The CSV options handle is nnb_csv_opts (renamed). Since 0.1; removed at 1.0. */
typedef NNB_DEPRECATED("use nnb_csv_opts (renamed; the old name goes at 1.0)")
    nnb_csv_opts nnb_csv_options;

/**
 * Deprecated (kept for 0.x; removed at 1.0): the epoch callback with positional arguments, which
 * cannot grow; use nnb_epoch_info_fn. epoch counts from 1 across nnb_net_train() calls on a
 * network; the arguments are nnb_epoch_info's fields of the same names. Returning non-zero stops
 * training with NNB_E_CANCELLED. Since 0.1.
 */
typedef int (*nnb_epoch_fn)(const nnb_net *net, size_t epoch, double train_loss, double val_loss,
                            double train_acc, double val_acc, double seconds, double samples_per_s,
                            int loss_went_up, void *user_data);
/**
 * Deprecated (kept for 0.x; removed at 1.0): sets the positional epoch callback (see
 * nnb_epoch_fn); replaces a callback set with nnb_train_opts_set_epoch_info_callback(). Since 0.1.
 * @param opts      the training options to change
 * @param fn        the callback, or NULL for none
 * @param user_data passed unchanged to every call of fn
 * @return NNB_OK; NNB_E_NULL (opts).
 */
NNB_API NNB_DEPRECATED("use nnb_train_opts_set_epoch_info_callback; the old callback goes at 1.0")
    nnb_status
    nnb_train_opts_set_epoch_callback(nnb_train_opts *opts, nnb_epoch_fn fn, void *user_data);

/**
 * @deprecated Renamed nnb_activation_n_values() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_activation_n_values
 */
NNB_API NNB_DEPRECATED_FOR(nnb_activation_n_values) size_t nnb_activation_count(void);

/**
 * @deprecated Renamed nnb_csv_detect_delimiter_buffer() (the same function). Since 0.2; removed at
 *             1.0.
 * @copydoc nnb_csv_detect_delimiter_buffer
 */
NNB_API NNB_DEPRECATED_FOR(nnb_csv_detect_delimiter_buffer) nnb_status
    nnb_csv_detect_delimiter_mem(const char *data, size_t len, char *delimiter);

/**
 * @deprecated Renamed nnb_csv_opts_create() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_csv_opts_create
 */
NNB_API NNB_DEPRECATED_FOR(nnb_csv_opts_create) nnb_status
    nnb_csv_options_create(nnb_csv_opts **out);

/**
 * @deprecated Renamed nnb_csv_opts_free() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_csv_opts_free
 */
NNB_API NNB_DEPRECATED_FOR(nnb_csv_opts_free) void nnb_csv_options_free(nnb_csv_opts *opts);

/**
 * @deprecated Renamed nnb_csv_opts_set_delimiter() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_csv_opts_set_delimiter
 */
NNB_API NNB_DEPRECATED_FOR(nnb_csv_opts_set_delimiter) nnb_status
    nnb_csv_options_set_delimiter(nnb_csv_opts *opts, char delimiter);

/**
 * @deprecated Renamed nnb_csv_opts_set_drop_bad_rows() (the same function). Since 0.1; removed at
 *             1.0.
 * @copydoc nnb_csv_opts_set_drop_bad_rows
 */
NNB_API NNB_DEPRECATED_FOR(nnb_csv_opts_set_drop_bad_rows) nnb_status
    nnb_csv_options_set_drop_bad_rows(nnb_csv_opts *opts, int enable);

/**
 * @deprecated Renamed nnb_csv_opts_set_input_limit() (the same function). Since 0.1; removed at
 *             1.0.
 * @copydoc nnb_csv_opts_set_input_limit
 */
NNB_API NNB_DEPRECATED_FOR(nnb_csv_opts_set_input_limit) nnb_status
    nnb_csv_options_set_input_limit(nnb_csv_opts *opts, size_t n_bytes);

/**
 * @deprecated Renamed nnb_csv_opts_skip_column() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_csv_opts_skip_column
 */
NNB_API NNB_DEPRECATED_FOR(nnb_csv_opts_skip_column) nnb_status
    nnb_csv_options_skip_column(nnb_csv_opts *opts, const char *name);

/**
 * @deprecated Renamed nnb_csv_opts_add_text_column() (the same function). Since 0.1; removed at
 *             1.0.
 * @copydoc nnb_csv_opts_add_text_column
 */
NNB_API NNB_DEPRECATED_FOR(nnb_csv_opts_add_text_column) nnb_status
    nnb_csv_options_text_column(nnb_csv_opts *opts, const char *name);

/**
 * @deprecated Renamed nnb_csv_read_buffer() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_csv_read_buffer
 */
NNB_API NNB_DEPRECATED_FOR(nnb_csv_read_buffer) nnb_status
    nnb_csv_parse(nnb_table **out, const char *data, size_t len, const char *name,
                  const nnb_csv_opts *opts);

/**
 * @deprecated Renamed nnb_dtype_n_values() (the same function). Since 0.2; removed at 1.0.
 * @copydoc nnb_dtype_n_values
 */
NNB_API NNB_DEPRECATED_FOR(nnb_dtype_n_values) size_t nnb_dtype_count(void);

/**
 * @deprecated Renamed nnb_rows_gather() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_rows_gather
 */
NNB_API NNB_DEPRECATED_FOR(nnb_rows_gather) nnb_status
    nnb_gather_rows(const double *src, size_t n_src_rows, size_t n_columns, const size_t *rows,
                    size_t n_rows, double *dst, size_t dst_len);

/**
 * @deprecated Renamed nnb_net_grad_check() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_net_grad_check
 */
NNB_API NNB_DEPRECATED_FOR(nnb_net_grad_check) nnb_status
    nnb_gradcheck(nnb_net *net, const double *x, size_t n_rows, size_t n_inputs, const double *y,
                  size_t n_outputs, nnb_loss loss, nnb_reduction reduction, double eps,
                  double *max_rel_err, size_t *worst_param);

/**
 * @deprecated Renamed nnb_history_field_n_values() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_history_field_n_values
 */
NNB_API NNB_DEPRECATED_FOR(nnb_history_field_n_values) size_t nnb_history_field_count(void);

/**
 * @deprecated Renamed nnb_history_n_epochs() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_history_n_epochs
 */
NNB_API NNB_DEPRECATED_FOR(nnb_history_n_epochs) size_t nnb_history_len(const nnb_history *h);

/**
 * @deprecated Renamed nnb_init_n_values() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_init_n_values
 */
NNB_API NNB_DEPRECATED_FOR(nnb_init_n_values) size_t nnb_init_count(void);

/**
 * @deprecated Renamed nnb_get_input_limit() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_get_input_limit
 */
NNB_API NNB_DEPRECATED_FOR(nnb_get_input_limit) size_t nnb_input_limit(void);

/**
 * @deprecated Renamed nnb_loss_n_values() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_loss_n_values
 */
NNB_API NNB_DEPRECATED_FOR(nnb_loss_n_values) size_t nnb_loss_count(void);

/**
 * @deprecated Renamed nnb_meta_n_keys() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_meta_n_keys
 */
NNB_API NNB_DEPRECATED_FOR(nnb_meta_n_keys) size_t nnb_meta_count(const nnb_meta *meta);

/**
 * @deprecated Renamed nnb_mnist_part_n_values() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_mnist_part_n_values
 */
NNB_API NNB_DEPRECATED_FOR(nnb_mnist_part_n_values) size_t nnb_mnist_part_count(void);

/**
 * @deprecated Replaced by nnb_mnist_read_part(), whose parameters are in the order of the naming
 *             rule (the same function otherwise). Since 0.1; removed at 1.0.
 * @copydoc nnb_mnist_read_part
 */
NNB_API NNB_DEPRECATED_MOVED(nnb_mnist_read_part) nnb_status
    nnb_mnist_read(const char *dir, nnb_mnist_part part, double *x, size_t x_len, double *y,
                   size_t y_len, int onehot);

/**
 * @deprecated Replaced by nnb_mnist_read_part_f32(), whose parameters are in the order of the
 *             naming rule (the same function otherwise). Since 0.2; removed at 1.0.
 * @copydoc nnb_mnist_read_part_f32
 */
NNB_API NNB_DEPRECATED_MOVED(nnb_mnist_read_part_f32) nnb_status
    nnb_mnist_read_f32(const char *dir, nnb_mnist_part part, float *x, size_t x_len, float *y,
                       size_t y_len, int onehot);

/**
 * @deprecated Replaced by nnb_model_read(), whose parameters are in the order of the naming rule
 *             (the same function otherwise). Since 0.1; removed at 1.0.
 * @copydoc nnb_model_read
 */
NNB_API NNB_DEPRECATED_MOVED(nnb_model_read) nnb_status
    nnb_model_load(const char *path, nnb_net **net, nnb_prep **prep, nnb_meta **meta);

/**
 * @deprecated Replaced by nnb_model_read_buffer(), whose parameters are in the order of the naming
 *             rule (the same function otherwise). Since 0.1; removed at 1.0.
 * @copydoc nnb_model_read_buffer
 */
NNB_API NNB_DEPRECATED_MOVED(nnb_model_read_buffer) nnb_status
    nnb_model_load_buffer(const void *buf, size_t len, nnb_net **net, nnb_prep **prep,
                          nnb_meta **meta);

/**
 * @deprecated Renamed nnb_model_write() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_model_write
 */
NNB_API NNB_DEPRECATED_FOR(nnb_model_write) nnb_status
    nnb_model_save(const char *path, const nnb_net *net, const nnb_prep *prep, const nnb_meta *meta,
                   int with_train_state);

/**
 * @deprecated Replaced by nnb_model_write_buffer(), whose parameters are in the order of the naming
 *             rule (the same function otherwise). Since 0.1; removed at 1.0.
 * @copydoc nnb_model_write_buffer
 */
NNB_API NNB_DEPRECATED_MOVED(nnb_model_write_buffer) nnb_status
    nnb_model_save_buffer(void *buf, size_t len, size_t *n_written, const nnb_net *net,
                          const nnb_prep *prep, const nnb_meta *meta, int with_train_state);

/**
 * @deprecated Renamed nnb_model_write_size() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_model_write_size
 */
NNB_API NNB_DEPRECATED_FOR(nnb_model_write_size) size_t
    nnb_model_save_size(const nnb_net *net, const nnb_prep *prep, const nnb_meta *meta,
                        int with_train_state);

/* (clang-format would split `const char` after the attribute) */
/* clang-format off */
/**
 * @deprecated Renamed nnb_name_find_nearest() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_name_find_nearest
 */
NNB_API NNB_DEPRECATED_FOR(nnb_name_find_nearest) const char *nnb_nearest_name(const char *text, const char *const *names, size_t n_names);
/* clang-format on */

/**
 * @deprecated Replaced by nnb_net_copy(), whose parameters are in the order of the naming rule (the
 *             same function otherwise). Since 0.2; removed at 1.0.
 * @copydoc nnb_net_copy
 */
NNB_API NNB_DEPRECATED_MOVED(nnb_net_copy) nnb_status
    nnb_net_convert(const nnb_net *src, nnb_dtype dtype, nnb_net **out);

/**
 * @deprecated Renamed nnb_optimizer_n_values() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_optimizer_n_values
 */
NNB_API NNB_DEPRECATED_FOR(nnb_optimizer_n_values) size_t nnb_optimizer_count(void);

/**
 * @deprecated Renamed nnb_rows_permute() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_rows_permute
 */
NNB_API NNB_DEPRECATED_FOR(nnb_rows_permute) nnb_status
    nnb_permutation(size_t n_rows, uint64_t seed, size_t *order, size_t len);

/**
 * @deprecated Renamed nnb_prep_n_constant_columns() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_prep_n_constant_columns
 */
NNB_API NNB_DEPRECATED_FOR(nnb_prep_n_constant_columns) size_t
    nnb_prep_n_constant(const nnb_prep *prep);

/**
 * @deprecated Renamed nnb_prep_add_target() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_prep_add_target
 */
NNB_API NNB_DEPRECATED_FOR(nnb_prep_add_target) nnb_status
    nnb_prep_set_target(nnb_prep *prep, const char *column, nnb_target_kind kind);

/**
 * @deprecated Renamed nnb_input_read() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_input_read
 */
NNB_API NNB_DEPRECATED_FOR(nnb_input_read) nnb_status
    nnb_read_input(const char *path, size_t limit, int text, char **data, size_t *n_bytes);

/**
 * @deprecated Renamed nnb_reduction_n_values() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_reduction_n_values
 */
NNB_API NNB_DEPRECATED_FOR(nnb_reduction_n_values) size_t nnb_reduction_count(void);

/**
 * @deprecated Renamed nnb_scale_n_values() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_scale_n_values
 */
NNB_API NNB_DEPRECATED_FOR(nnb_scale_n_values) size_t nnb_scale_count(void);

/**
 * @deprecated Renamed nnb_schedule_n_values() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_schedule_n_values
 */
NNB_API NNB_DEPRECATED_FOR(nnb_schedule_n_values) size_t nnb_schedule_count(void);

/**
 * @deprecated Renamed nnb_rows_split() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_rows_split
 */
NNB_API NNB_DEPRECATED_FOR(nnb_rows_split) nnb_status
    nnb_split(size_t n_rows, double test_frac, double val_frac, uint64_t seed, const double *strata,
              size_t n_strata, size_t *order, size_t len, size_t *n_train, size_t *n_test,
              size_t *n_val);

/**
 * @deprecated Renamed nnb_status_n_values() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_status_n_values
 */
NNB_API NNB_DEPRECATED_FOR(nnb_status_n_values) size_t nnb_status_count(void);

/**
 * @deprecated Renamed nnb_table_column_is_text() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_table_column_is_text
 */
NNB_API NNB_DEPRECATED_FOR(nnb_table_column_is_text) int nnb_table_col_is_text(
    const nnb_table *table, size_t column);

/* (clang-format would split `const char` after the attribute) */
/* clang-format off */
/**
 * @deprecated Renamed nnb_table_column_name() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_table_column_name
 */
NNB_API NNB_DEPRECATED_FOR(nnb_table_column_name) const char *nnb_table_col_name(const nnb_table *table, size_t column);
/* clang-format on */

/**
 * @deprecated Renamed nnb_table_find_column() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_table_find_column
 */
NNB_API NNB_DEPRECATED_FOR(nnb_table_find_column) nnb_status
    nnb_table_find_col(const nnb_table *table, const char *name, size_t *column);

/**
 * @deprecated Renamed nnb_table_n_columns() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_table_n_columns
 */
NNB_API NNB_DEPRECATED_FOR(nnb_table_n_columns) size_t nnb_table_n_cols(const nnb_table *table);

/**
 * @deprecated Renamed nnb_table_n_dropped_rows() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_table_n_dropped_rows
 */
NNB_API NNB_DEPRECATED_FOR(nnb_table_n_dropped_rows) size_t
    nnb_table_n_dropped(const nnb_table *table);

/**
 * @deprecated Renamed nnb_target_kind_n_values() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_target_kind_n_values
 */
NNB_API NNB_DEPRECATED_FOR(nnb_target_kind_n_values) size_t nnb_target_kind_count(void);

/**
 * @deprecated Renamed nnb_target_has_too_many_classes() (the same function). Since 0.1; removed at
 *             1.0.
 * @copydoc nnb_target_has_too_many_classes
 */
NNB_API NNB_DEPRECATED_FOR(nnb_target_has_too_many_classes) int nnb_too_many_classes(
    size_t n_classes, size_t n_rows);

/**
 * @deprecated Renamed nnb_net_train() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_net_train
 */
NNB_API NNB_DEPRECATED_FOR(nnb_net_train) nnb_status
    nnb_train(nnb_net *net, const nnb_train_opts *opts, const double *x, size_t n_rows,
              size_t n_inputs, const double *y, size_t n_outputs, nnb_history *history);

/**
 * @deprecated Renamed nnb_net_train_f32() (the same function). Since 0.2; removed at 1.0.
 * @copydoc nnb_net_train_f32
 */
NNB_API NNB_DEPRECATED_FOR(nnb_net_train_f32) nnb_status
    nnb_train_f32(nnb_net *net, const nnb_train_opts *opts, const float *x, size_t n_rows,
                  size_t n_inputs, const float *y, size_t n_outputs, nnb_history *history);

/**
 * @deprecated Renamed nnb_unseen_n_values() (the same function). Since 0.1; removed at 1.0.
 * @copydoc nnb_unseen_n_values
 */
NNB_API NNB_DEPRECATED_FOR(nnb_unseen_n_values) size_t nnb_unseen_count(void);

#endif /* NNB_NO_DEPRECATED */

#ifdef __cplusplus
}
#endif

#endif /* NNBLAS_H */
