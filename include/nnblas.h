/*
 * nnblas — dense neural networks on a CPU, trained with OpenBLAS.
 *
 * The one public header. Everything the library exports starts with nnb_ (functions) or NNB_
 * (macros, enum constants); types are nnb_<noun>.
 *
 * Conventions that hold for every function below:
 *  - All matrices are dense, row-major (C-contiguous) arrays of double. A batch X is
 *    rows x n_inputs; a layer's W is n_out x n_in (the PyTorch nn.Linear convention); b has n_out.
 *    A C-contiguous float64 numpy array passes straight in.
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

#if defined(__GNUC__) || defined(__clang__)
#  define NNB_DEPRECATED(msg) __attribute__((deprecated(msg)))
#else
#  define NNB_DEPRECATED(msg)
#endif

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
    NNB_OK = 0,              /**< success */
    NNB_E_NOMEM = 1,         /**< an allocation failed */
    NNB_E_INVALID_ARG = 2,   /**< an argument is out of range or the combination makes no sense */
    NNB_E_NULL = 3,          /**< a required pointer was NULL */
    NNB_E_SHAPE = 4,         /**< array sizes do not match the network or each other */
    NNB_E_NONFINITE = 5,     /**< NaN or infinity where finite numbers are required */
    NNB_E_TOO_LARGE = 6,     /**< a size exceeds what OpenBLAS (32-bit int) or memory can index */
    NNB_E_IO = 7,            /**< reading or writing a file failed */
    NNB_E_FORMAT = 8,        /**< malformed input data or file */
    NNB_E_VERSION = 9,       /**< a file written by a newer, incompatible version */
    NNB_E_CHECKSUM = 10,     /**< a file's checksum does not match its contents */
    NNB_E_CANCELLED = 11,    /**< a callback asked to stop */
    NNB_E_UNSUPPORTED = 12,  /**< the request is valid but not supported here (e.g. a CPU feature) */
    NNB_E_STATE = 13,        /**< the object is not in a state that allows the call */
    NNB_E_INTERNAL = 14      /**< a bug in nnblas; please report it */
} nnb_status;

/**
 * Static English text for a status ("shape mismatch"). Never NULL; unknown values give
 * "unknown status". Thread-safe. Since 0.1.
 */
NNB_API const char *nnb_status_string(nnb_status status);

/** The enumerator's name ("NNB_E_SHAPE"), or "NNB_E_UNKNOWN". Thread-safe. Since 0.1. */
NNB_API const char *nnb_status_name(nnb_status status);

/**
 * The message of the last failed call made on this thread, with context; "" if none.
 * Like errno it is meaningful only right after a call returned an error: success does not clear it
 * and reading it does not clear it. The storage is thread-local and owned by the library; the
 * pointer stays valid until the next nnblas call on this thread. Since 0.1.
 */
NNB_API const char *nnb_last_error(void);

/** Empties this thread's last-error message. Since 0.1. */
NNB_API void nnb_clear_error(void);

/* ============================================================================================== */
/* Versions, CPU kernels, threads                                                                 */
/* ============================================================================================== */

/** The release version of the library that is running, e.g. "0.1.0". Since 0.1. */
NNB_API const char *nnb_version_string(void);

/** The running library's NNB_VERSION_NUMBER (MAJOR*10000 + MINOR*100 + PATCH). Since 0.1. */
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
 * "scalar" (libm's tanh). Largest errors measured, over 8e7 points or more each: sigmoid 1.99 ulp
 * (avx2, avx512) and 1.95 ulp (scalar); tanh 0.61 ulp (avx2, avx512) and 2.19 ulp (scalar,
 * glibc 2.36).
 * Sigmoid never overflows, is exactly 0 or 1 only where the true value rounds there (subnormal
 * down to x = -745.13), and gives NaN for NaN. Element-wise results are the same in "avx2" and
 * "avx512", and those without exp/log are the same in all three sets; sums (losses, softmax
 * normalisation) are accumulated per vector lane, in a different order in each set. So the same
 * training under two sets agrees to about 1e-13 relative, not bit for bit.
 * Thread-safe. Since 0.1.
 */
NNB_API const char *nnb_kernel_isa(void);

/**
 * Sets the number of threads OpenBLAS uses for matrix products (openblas_set_num_threads). This is
 * process-wide, because OpenBLAS's pool is: it affects every network in the process and other
 * OpenBLAS users in it. n = 0 restores the default (OPENBLAS_NUM_THREADS, else one per core).
 * Call it between training runs, not concurrently with one. nnblas's own element-wise work is
 * single-threaded with a fixed order, but a different OpenBLAS thread count changes the last bits
 * of matrix products (README, "Determinism"): fix it along with the seed for reproducible runs.
 * Returns NNB_E_INVALID_ARG for n < 0. Since 0.1.
 */
NNB_API nnb_status nnb_set_num_threads(int n);

/** The number of threads OpenBLAS will use. Since 0.1. */
NNB_API int nnb_get_num_threads(void);

/* ============================================================================================== */
/* Networks                                                                                       */
/* ============================================================================================== */

/** An opaque network: a stack of dense layers, its parameters, its generator and its workspace. */
typedef struct nnb_net nnb_net;

/** Activation functions. Softmax is allowed only on the output layer. */
typedef enum nnb_activation {
    NNB_ACT_IDENTITY = 0,
    NNB_ACT_SIGMOID = 1,     /**< 1/(1+e^-z), stable for any z */
    NNB_ACT_TANH = 2,
    NNB_ACT_RELU = 3,
    NNB_ACT_LEAKY_RELU = 4,  /**< z for z > 0, slope*z otherwise (slope 0.01 unless set) */
    NNB_ACT_SOFTMAX = 5      /**< row-wise, max-subtracted; output layer only */
} nnb_activation;

/** Weight-initialisation schemes. Biases always start at 0. */
typedef enum nnb_init {
    NNB_INIT_NORMAL_FANIN = 0,   /**< Normal(0, 1/sqrt(fan_in)): the tutorial's */
    NNB_INIT_XAVIER_UNIFORM = 1, /**< Uniform(-a, a), a = sqrt(6/(fan_in+fan_out)) (Glorot) */
    NNB_INIT_HE_NORMAL = 2,      /**< Normal(0, sqrt(2/fan_in)) (He/Kaiming) */
    NNB_INIT_ORTHOGONAL = 3      /**< (semi-)orthogonal rows or columns from the QR of a Gaussian matrix */
} nnb_init;

/**
 * Creates an empty network for n_inputs inputs. Add layers with nnb_net_add_dense().
 * The network's generator starts from seed 0; nnb_net_init() or nnb_net_seed() reseed it.
 * @return NNB_OK; NNB_E_NULL (out NULL); NNB_E_INVALID_ARG (n_inputs 0);
 *         NNB_E_TOO_LARGE (n_inputs > INT_MAX); NNB_E_NOMEM;
 *         NNB_E_UNSUPPORTED (NNBLAS_ISA names kernels this machine cannot run).
 * Ownership: free with nnb_net_free(). Since 0.1.
 */
NNB_API nnb_status nnb_net_create(nnb_net **out, size_t n_inputs);

/** Frees a network and everything it owns. NULL is a no-op. Since 0.1. */
NNB_API void nnb_net_free(nnb_net *net);

/**
 * Appends a dense layer of `units` outputs whose inputs are the previous layer's outputs (or the
 * network's inputs). has_bias is 0 or 1. The new layer's weights are drawn at once with
 * NNB_INIT_NORMAL_FANIN from the network's generator and its bias is 0, so a network is usable
 * without nnb_net_init(); call that to choose a scheme and seed.
 * The parameter arena grows: a pointer from nnb_net_params_data() is invalid afterwards.
 * @return NNB_OK; NNB_E_NULL; NNB_E_INVALID_ARG (units 0, unknown activation, has_bias not 0/1,
 *         a layer after a softmax layer); NNB_E_TOO_LARGE; NNB_E_NOMEM (the network is unchanged).
 * Since 0.1.
 */
NNB_API nnb_status nnb_net_add_dense(nnb_net *net, size_t units, nnb_activation act, int has_bias);

/**
 * Sets the negative-side slope of a leaky-ReLU layer (default 0.01). Must be finite and >= 0.
 * @return NNB_OK; NNB_E_NULL; NNB_E_INVALID_ARG (bad layer index, slope, or not a leaky-ReLU
 *         layer). Since 0.1.
 */
NNB_API nnb_status nnb_net_set_leaky_slope(nnb_net *net, size_t layer, double slope);

/** Number of inputs; 0 if net is NULL. Since 0.1. */
NNB_API size_t nnb_net_n_inputs(const nnb_net *net);
/** Number of outputs of the last layer (the inputs while there are no layers); 0 if NULL. Since 0.1. */
NNB_API size_t nnb_net_n_outputs(const nnb_net *net);
/** Number of layers; 0 if NULL. Since 0.1. */
NNB_API size_t nnb_net_n_layers(const nnb_net *net);
/** Total number of parameters (every W and b); 0 if NULL. Since 0.1. */
NNB_API size_t nnb_net_n_params(const nnb_net *net);

/**
 * Describes layer `layer` (0-based). Any out-pointer may be NULL.
 * w_offset and b_offset locate W (n_out*n_in values, row-major) and b (n_out values) in the flat
 * parameter vector; b_offset is meaningless (set to w_offset + n_out*n_in) when has_bias is 0.
 * The arena holds layer after layer, each W then b.
 * @return NNB_OK; NNB_E_NULL (net); NNB_E_INVALID_ARG (layer out of range). Since 0.1.
 */
NNB_API nnb_status nnb_net_layer_info(const nnb_net *net, size_t layer, size_t *n_in, size_t *n_out,
                                      nnb_activation *act, int *has_bias, size_t *w_offset,
                                      size_t *b_offset);

/**
 * Reseeds the network's generator (splitmix64 -> xoshiro256**) without touching the weights.
 * Training draws its shuffles and dropout masks from this generator. Since 0.1.
 * @return NNB_OK; NNB_E_NULL.
 */
NNB_API nnb_status nnb_net_seed(nnb_net *net, uint64_t seed);

/**
 * Reseeds the generator with `seed`, then draws every layer's weights with `scheme` (layer by
 * layer, W in row-major order) and sets every bias to 0. The same seed gives the same weights on
 * every platform.
 * @return NNB_OK; NNB_E_NULL; NNB_E_INVALID_ARG (unknown scheme); NNB_E_NOMEM;
 *         NNB_E_INTERNAL (LAPACK failed, orthogonal only). Since 0.1.
 */
NNB_API nnb_status nnb_net_init(nnb_net *net, nnb_init scheme, uint64_t seed);

/**
 * Copies the whole parameter vector (nnb_net_n_params() values) out to dst / in from src.
 * @return NNB_OK; NNB_E_NULL; NNB_E_SHAPE (len != nnb_net_n_params()); set also
 *         NNB_E_NONFINITE if src holds NaN or infinity. Since 0.1.
 */
NNB_API nnb_status nnb_net_params_get(const nnb_net *net, double *dst, size_t len);
NNB_API nnb_status nnb_net_params_set(nnb_net *net, const double *src, size_t len);

/**
 * A borrowed view of the parameter arena (writable), for zero-copy access from bindings.
 * *len (if not NULL) receives nnb_net_n_params(). The pointer is valid until the network is freed
 * or a layer is added; writing through it is the same as nnb_net_params_set() without the checks.
 * Returns NULL if net is NULL or has no parameters. Since 0.1.
 */
NNB_API double *nnb_net_params_data(nnb_net *net, size_t *len);

/**
 * Copies one layer's W (w_len must be n_out*n_in) and b (b_len must be n_out, or 0 with b NULL
 * for a layer without bias) out of / into the network. Either pointer may be NULL to skip it
 * (its length must then be 0).
 * @return NNB_OK; NNB_E_NULL (net); NNB_E_INVALID_ARG (layer); NNB_E_SHAPE (a length);
 *         NNB_E_NONFINITE (set: NaN or infinity in the values). Since 0.1.
 */
NNB_API nnb_status nnb_net_layer_get(const nnb_net *net, size_t layer, double *w, size_t w_len,
                                     double *b, size_t b_len);
NNB_API nnb_status nnb_net_layer_set(nnb_net *net, size_t layer, const double *w, size_t w_len,
                                     const double *b, size_t b_len);

/**
 * When enabled (default off), forward, backprop and predict scan their inputs and targets and fail
 * with NNB_E_NONFINITE naming the first NaN or infinity (row and column). Since 0.1.
 * @return NNB_OK; NNB_E_NULL.
 */
NNB_API nnb_status nnb_net_set_check_finite(nnb_net *net, int enable);

/**
 * Runs a batch forward: out (rows x n_outputs) = network(x (rows x x_cols)).
 * Uses the network's own workspace, sized on first use for `rows` and grown when a larger batch
 * comes; so this call is not reentrant on one network (use nnb_net_predict() for that).
 * @return NNB_OK; NNB_E_NULL; NNB_E_INVALID_ARG (rows 0, or no layers); NNB_E_SHAPE (x_cols !=
 *         n_inputs, out_len < rows*n_outputs); NNB_E_TOO_LARGE; NNB_E_NOMEM; NNB_E_NONFINITE
 *         (checking on). Since 0.1.
 */
NNB_API nnb_status nnb_net_forward(nnb_net *net, const double *x, size_t rows, size_t x_cols,
                                   double *out, size_t out_len);

/**
 * Like nnb_net_forward(), but reads the network only (const): it uses a private scratch buffer
 * allocated for the call and works through x in blocks of rows, so any number of threads may
 * predict from one network at once (as long as none modifies it).
 * Same return codes as nnb_net_forward(). Since 0.1.
 */
NNB_API nnb_status nnb_net_predict(const nnb_net *net, const double *x, size_t rows, size_t x_cols,
                                   double *out, size_t out_len);

/** Loss functions: the per-row loss l_r, before the batch reduction. */
typedef enum nnb_loss {
    NNB_LOSS_SSE = 0, /**< 1/2 * sum_j (y_j - yhat_j)^2: the tutorial's E. Any output activation. */
    NNB_LOSS_MSE = 1, /**< (1/n_out) * sum_j (y_j - yhat_j)^2. Any output activation. */
    NNB_LOSS_BCE = 2, /**< binary cross-entropy, mean over outputs; needs a sigmoid output layer and
                           is computed from its logits: (1/n_out) sum_j [softplus(z_j) - y_j z_j] */
    NNB_LOSS_CE = 3   /**< softmax cross-entropy, -sum_j y_j log softmax(z)_j, from log-sum-exp;
                           needs a softmax output layer; y rows are class probabilities */
} nnb_loss;

/** How the per-row losses (and their gradients) are combined over a batch of B rows. */
typedef enum nnb_reduction {
    NNB_REDUCTION_SUM = 0,  /**< L = sum_r l_r (the tutorial's single neuron) */
    NNB_REDUCTION_MEAN = 1  /**< L = (1/B) sum_r l_r (the tutorial's network; PyTorch's default) */
} nnb_reduction;

/**
 * Computes the loss of a batch without gradients. y is rows x y_cols (y_cols == n_outputs).
 * @return as nnb_net_backprop(). Since 0.1.
 */
NNB_API nnb_status nnb_net_loss(nnb_net *net, const double *x, size_t rows, size_t x_cols,
                                const double *y, size_t y_cols, nnb_loss loss,
                                nnb_reduction reduction, double *loss_out);

/**
 * Backpropagation over a batch: the loss L (into *loss_out, which may be NULL) and dL/dtheta for
 * every parameter. The gradient is always kept inside the network (for nnb_net_sgd_step() and
 * nnb_net_grad_get()); if grad is not NULL it is also copied there (grad_len must then equal
 * nnb_net_n_params(), same layout as the parameters).
 * Every matrix product is one cblas_dgemm per layer and direction.
 * @return NNB_OK; NNB_E_NULL; NNB_E_INVALID_ARG (rows 0, no layers, unknown loss or reduction,
 *         BCE without a sigmoid output, CE without a softmax output); NNB_E_SHAPE; NNB_E_TOO_LARGE;
 *         NNB_E_NOMEM; NNB_E_NONFINITE (checking on). Since 0.1.
 */
NNB_API nnb_status nnb_net_backprop(nnb_net *net, const double *x, size_t rows, size_t x_cols,
                                    const double *y, size_t y_cols, nnb_loss loss,
                                    nnb_reduction reduction, double *loss_out, double *grad,
                                    size_t grad_len);

/** Copies the gradient of the last nnb_net_backprop() (zeros before any) into dst. Since 0.1.
 *  @return NNB_OK; NNB_E_NULL; NNB_E_SHAPE (len != nnb_net_n_params()). */
NNB_API nnb_status nnb_net_grad_get(const nnb_net *net, double *dst, size_t len);

/**
 * One gradient-descent step theta <- theta - lr * g. g is `grad` (grad_len == nnb_net_n_params())
 * or, when grad is NULL, the gradient of the last nnb_net_backprop().
 * @return NNB_OK; NNB_E_NULL; NNB_E_SHAPE; NNB_E_INVALID_ARG (lr not finite). Since 0.1.
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
 * @return as nnb_net_backprop(). Since 0.1.
 */
NNB_API nnb_status nnb_gradcheck(nnb_net *net, const double *x, size_t rows, size_t x_cols,
                                 const double *y, size_t y_cols, nnb_loss loss,
                                 nnb_reduction reduction, double eps, double *max_rel_err,
                                 size_t *worst_param);

#ifdef __cplusplus
}
#endif

#endif /* NNBLAS_H */
