// rings: nnblas from C++ — RAII wrappers over the C handles, C errors as exceptions carrying
// nnb_last_error()'s text, and a lambda as the epoch callback (through the void* user pointer).
//
// Three concentric rings of points (a generated three-class problem), a 2-32-32-3 network with
// a softmax output, trained with Adam; prints every 10th epoch, the held-out accuracy, and what a
// deliberate mistake (data of the wrong width) turns into.
//
//   rings [--epochs N]
//
// Build: c++ -std=c++17 rings.cpp $(pkg-config --cflags --libs nnblas)
// (meson builds and runs it as the test example_cpp_rings.)
#include "nnblas.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace nnb {

// A failed call: the status and the library's message (nnb_last_error() is per thread, so it is
// read at once, on the thread that made the call).
class error : public std::runtime_error {
  public:
    error(nnb_status status, const char *message)
        : std::runtime_error(std::string(nnb_status_name(status)) + ": " + message),
          status_(status) {}
    nnb_status status() const noexcept { return status_; }

  private:
    nnb_status status_;
};

inline void check(nnb_status st) {
    if (st != NNB_OK) throw error(st, nnb_last_error());
}

// Owning handles: the C free function runs when the handle goes out of scope, exception or not.
template <class T, void (*Free)(T *)> struct deleter {
    void operator()(T *p) const noexcept { Free(p); }
};
using net_ptr = std::unique_ptr<nnb_net, deleter<nnb_net, nnb_net_free>>;
using opts_ptr = std::unique_ptr<nnb_train_opts, deleter<nnb_train_opts, nnb_train_opts_free>>;
using history_ptr = std::unique_ptr<nnb_history, deleter<nnb_history, nnb_history_free>>;

// What the epoch callback sees: the library's own record (it grows at its end; a field newer
// than the library in use is tested with NNB_EPOCH_INFO_HAS). Returning false stops training.
using epoch_info = nnb_epoch_info;
using epoch_callback = std::function<bool(const epoch_info &)>;

class net {
  public:
    // sizes: inputs, hidden..., outputs; hidden layers use `hidden`, the last `output`.
    net(const std::vector<size_t> &sizes, nnb_activation hidden, nnb_activation output,
        uint64_t seed) {
        if (sizes.size() < 2) throw std::invalid_argument("a network needs inputs and outputs");
        nnb_net *raw = nullptr;
        check(nnb_net_create(&raw, sizes[0]));
        p_.reset(raw);
        for (size_t i = 1; i < sizes.size(); i++)
            check(nnb_net_add_dense(p_.get(), sizes[i], i + 1 < sizes.size() ? hidden : output, 1));
        check(nnb_net_init(p_.get(), nnb_default_init(hidden), seed));
    }

    size_t inputs() const { return nnb_net_n_inputs(p_.get()); }
    size_t outputs() const { return nnb_net_n_outputs(p_.get()); }

    // Trains on x (rows x inputs, row-major) and one-hot y; on_epoch runs after every epoch. An
    // exception thrown by on_epoch stops training and is rethrown here: it must not unwind
    // through the C library's frames, so the trampoline catches it and returns "stop".
    void fit(const std::vector<double> &x, const std::vector<double> &y, size_t epochs,
             size_t batch, double lr, const epoch_callback &on_epoch = nullptr) {
        opts_ptr opts = make_opts(epochs, batch, lr);
        struct context {
            const epoch_callback *fn;
            std::exception_ptr thrown;
        } ctx{&on_epoch, nullptr};
        if (on_epoch) {
            auto trampoline = [](const nnb_net *, const nnb_epoch_info *info, void *user) -> int {
                auto *c = static_cast<context *>(user);
                try {
                    return (*c->fn)(*info) ? 0 : 1;
                } catch (...) {
                    c->thrown = std::current_exception();
                    return 1;
                }
            };
            // a lambda without captures converts to the C function pointer nnb_epoch_info_fn
            check(nnb_train_opts_set_epoch_info_callback(opts.get(), trampoline, &ctx));
        }
        nnb_status st = nnb_net_train(p_.get(), opts.get(), x.data(), x.size() / inputs(), inputs(),
                                      y.data(), outputs(), nullptr);
        if (ctx.thrown) std::rethrow_exception(ctx.thrown);
        if (st != NNB_E_CANCELLED) check(st); // a callback that returned false: not an error
    }

    // Mean loss and accuracy on (x, y).
    std::pair<double, double> evaluate(const std::vector<double> &x, const std::vector<double> &y,
                                       size_t x_cols) const {
        double loss = 0, acc = 0;
        check(nnb_net_evaluate(p_.get(), x.data(), x.size() / x_cols, x_cols, y.data(), outputs(),
                               NNB_LOSS_CE, NNB_REDUCTION_MEAN, &loss, &acc));
        return {loss, acc};
    }

  private:
    static opts_ptr make_opts(size_t epochs, size_t batch, double lr) {
        nnb_train_opts *raw = nullptr;
        check(nnb_train_opts_create(&raw));
        opts_ptr opts(raw);
        check(nnb_train_opts_set_epochs(opts.get(), epochs));
        check(nnb_train_opts_set_batch_size(opts.get(), batch));
        check(nnb_train_opts_set_loss(opts.get(), NNB_LOSS_CE, NNB_REDUCTION_MEAN));
        check(nnb_train_opts_set_optimizer(opts.get(), NNB_OPT_ADAM, lr));
        return opts;
    }

    net_ptr p_;
};

} // namespace nnb

// n points per ring: class k at radius 1 + k, with noise; one-hot targets.
static void rings(size_t n, unsigned seed, std::vector<double> &x, std::vector<double> &y) {
    std::mt19937_64 gen(seed);
    std::uniform_real_distribution<double> angle(0, 6.283185307179586);
    std::normal_distribution<double> noise(0, 0.15);
    for (size_t k = 0; k < 3; k++)
        for (size_t i = 0; i < n; i++) {
            double a = angle(gen), r = 1.0 + static_cast<double>(k) + noise(gen);
            x.push_back(r * std::cos(a));
            x.push_back(r * std::sin(a));
            for (size_t j = 0; j < 3; j++) y.push_back(j == k ? 1 : 0);
        }
}

int main(int argc, char **argv) {
    size_t epochs = 60;
    for (int i = 1; i < argc; i++) {
        if (std::strcmp(argv[i], "--epochs") == 0 && i + 1 < argc) {
            epochs = std::strtoul(argv[++i], nullptr, 10);
        } else {
            std::fprintf(stderr, "usage: rings [--epochs N]\n");
            return 2;
        }
    }
    try {
        std::vector<double> x, y, xt, yt;
        rings(300, 1, x, y);
        rings(100, 2, xt, yt);
        nnb::net model({2, 32, 32, 3}, NNB_ACT_TANH, NNB_ACT_SOFTMAX, 7);

        size_t calls = 0;
        double first_loss = NAN, last_loss = NAN;
        model.fit(x, y, epochs, 32, 0.01, [&](const nnb::epoch_info &e) {
            calls++; // the lambda's captures: state shared with main, no globals
            if (calls == 1) first_loss = e.train_loss;
            last_loss = e.train_loss;
            if (e.epoch % 10 == 0)
                std::printf("epoch %3zu  loss %.4f  acc %.3f\n", (size_t)e.epoch, e.train_loss,
                            e.train_acc);
            return true;
        });
        auto [loss, acc] = model.evaluate(xt, yt, 2);
        std::printf("held out: loss %.4f, accuracy %.3f\n", loss, acc);

        // A callback that says stop: training ends after that epoch, without an error.
        size_t stop_calls = 0;
        model.fit(x, y, 100, 32, 0.01, [&](const nnb::epoch_info &) { return ++stop_calls < 3; });

        // A mistake: 3 columns for a 2-input network. The C status becomes an exception with
        // the library's message; the handles are freed by their destructors.
        std::string message;
        try {
            model.evaluate(xt, yt, 3);
        } catch (const nnb::error &e) {
            message = e.what();
            std::printf("caught: %s\n", e.what());
            if (e.status() != NNB_E_SHAPE) return 1;
        }

        // An exception from the callback crosses back over the C library to the caller.
        bool rethrown = false;
        try {
            model.fit(x, y, 5, 32, 0.01, [](const nnb::epoch_info &e) -> bool {
                if (e.epoch >= 2) throw std::runtime_error("from the callback");
                return true;
            });
        } catch (const std::runtime_error &e) {
            rethrown = std::strcmp(e.what(), "from the callback") == 0;
        }

        bool ok = calls == epochs && last_loss < first_loss && acc > 0.9 && stop_calls == 3 &&
                  message.find("NNB_E_SHAPE") != std::string::npos && rethrown;
        if (!ok)
            std::fprintf(stderr,
                         "rings: unexpected: %zu callbacks, loss %g -> %g, accuracy %g, "
                         "%zu stop calls, message '%s', rethrown %d\n",
                         calls, first_loss, last_loss, acc, stop_calls, message.c_str(), rethrown);
        return ok ? 0 : 1;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "rings: %s\n", e.what());
        return 1;
    }
}
