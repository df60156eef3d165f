"""Finds and loads libnnblas, declares every C function the binding uses (once), and turns C
status codes into exceptions.

The library is looked for, in this order (the first file that loads is used):
  1. the file named by the environment variable NNBLAS_LIBRARY (an explicit choice wins);
  2. where the package's installer recorded it, in nnblas/_config.py: `meson install` records
     the library's install folder (looked for relative to the package too, so an install under
     DESTDIR or a moved prefix works); `pip install bindings/python` from a checkout records
     the checkout's build folder and the folder its `meson install` installs to;
  3. the build folder of the source tree this package sits in (<repo>/build/lib/libnnblas.so.0,
     or <repo>/$NNBLAS_BUILD_DIR/lib), when the package is used from a checkout;
  4. the library folders of the Python environment's prefix (a venv, or the prefix Python
     was installed in): <prefix>/lib/<multiarch>, <prefix>/lib64, <prefix>/lib;
  5. the system: ctypes.util.find_library("nnblas"), then the soname libnnblas.so.0 (which the
     dynamic loader finds through LD_LIBRARY_PATH and the ld.so cache).
Its version must have the binding's major and minor version (nnblas.__version__).

The library is loaded with ctypes.CDLL, so every call releases the GIL while C runs (PyDLL would
hold it); a C callback into Python takes the GIL back for as long as the Python code runs.
"""

import ctypes
import ctypes.util
import os
import sys
from ctypes import (POINTER, Structure, c_char, c_char_p, c_double, c_int, c_size_t, c_uint,
                    c_uint64, c_void_p)

from ._version import __version__
from .errors import StateError, error_class, register_statuses as _register_statuses

SONAME = "libnnblas.so.0"

# Argument types: a data pointer (double *, size_t * arrays, handles) is a c_void_p given an
# integer address; scalar out-parameters are POINTER(...) given ctypes.byref().
_h = c_void_p            # an opaque handle (nnb_net *, nnb_prep *, ...)
_hp = POINTER(c_void_p)  # a handle's out-pointer (nnb_net **)
_p = c_void_p            # a data pointer (double *, void *, size_t * arrays)
_st = c_int              # nnb_status and the other enums
_sz = c_size_t
_szp = POINTER(c_size_t)
_d = c_double
_dp = POINTER(c_double)
_ip = POINTER(c_int)
_s = c_char_p

# int (*nnb_epoch_fn)(const nnb_net *, size_t epoch, double train_loss, double val_loss,
#                     double train_acc, double val_acc, double seconds, double samples_per_s,
#                     int loss_went_up, void *user_data)
EPOCH_FN = ctypes.CFUNCTYPE(c_int, c_void_p, c_size_t, c_double, c_double, c_double, c_double,
                            c_double, c_double, c_int, c_void_p)


class EpochInfo(ctypes.Structure):
    """nnb_epoch_info (nnblas.h): the record an epoch callback is given; it grows at its end."""
    _fields_ = [("size", c_size_t), ("epoch", ctypes.c_uint64), ("last_epoch", ctypes.c_uint64),
                ("train_loss", c_double), ("val_loss", c_double), ("train_acc", c_double),
                ("val_acc", c_double), ("seconds", c_double), ("samples_per_s", c_double),
                ("lr", c_double), ("steps", ctypes.c_uint64), ("rows", ctypes.c_uint64),
                ("best_epoch", ctypes.c_uint64), ("loss_went_up", c_int)]


# int (*nnb_epoch_info_fn)(const nnb_net *, const nnb_epoch_info *, void *user_data)
EPOCH_INFO_FN = ctypes.CFUNCTYPE(c_int, c_void_p, POINTER(EpochInfo), c_void_p)

# name: (restype, argtypes). The test test_api.PrototypeTest checks each against include/nnblas.h.
class Window(Structure):
    """nnb_window: a convolution's or pooling's kernel, stride and padding."""
    _fields_ = [("kernel_h", c_size_t), ("kernel_w", c_size_t), ("stride_h", c_size_t),
                ("stride_w", c_size_t), ("pad_top", c_size_t), ("pad_bottom", c_size_t),
                ("pad_left", c_size_t), ("pad_right", c_size_t), ("same", c_int)]


PROTOTYPES = {
    # errors, versions, threads
    "nnb_status_string": (c_char_p, [_st]),
    "nnb_status_name": (c_char_p, [_st]),
    "nnb_last_error": (c_char_p, []),
    "nnb_clear_error": (None, []),
    "nnb_version_string": (c_char_p, []),
    "nnb_version_number": (c_uint, []),
    "nnb_kernel_isa": (c_char_p, []),
    "nnb_set_num_threads": (_st, [c_int]),
    "nnb_set_input_limit": (_st, [_sz]),
    "nnb_get_input_limit": (_sz, []),
    "nnb_get_num_threads": (c_int, []),
    "nnb_set_interrupt_flag": (None, [_p]),
    "nnb_status_parse": (_st, [_s, _ip]),
    "nnb_status_n_values": (_sz, []),
    "nnb_name_find_nearest": (c_char_p, [_s, POINTER(c_char_p), _sz]),
    # shared defaults
    "nnb_default_output": (_st, [_st]),
    "nnb_default_output_for_loss": (_st, [_st]),
    "nnb_default_loss": (_st, [_st, _st]),
    "nnb_loss_fits": (c_int, [_st, _st]),
    "nnb_default_init": (_st, [_st]),
    "nnb_default_lr": (_d, [_st]),
    "nnb_values_look_like_classes": (c_int, [_p, _sz]),
    "nnb_target_has_too_many_classes": (c_int, [_sz, _sz]),
    "nnb_default_scale": (_st, []),
    # networks
    "nnb_net_create": (_st, [_hp, _sz]),
    "nnb_net_create_dtype": (_st, [_hp, _sz, _st]),
    "nnb_net_dtype": (_st, [_h]),
    "nnb_net_copy": (_st, [_hp, _h, _st]),
    "nnb_net_params_get_f32": (_st, [_h, _p, _sz]),
    "nnb_net_params_set_f32": (_st, [_h, _p, _sz]),
    "nnb_net_params_data_f32": (_p, [_h, _szp]),
    "nnb_net_grad_get_f32": (_st, [_h, _p, _sz]),
    "nnb_net_forward_f32": (_st, [_h, _p, _sz, _sz, _p, _sz]),
    "nnb_net_predict_f32": (_st, [_h, _p, _sz, _sz, _p, _sz]),
    "nnb_net_loss_f32": (_st, [_h, _p, _sz, _sz, _p, _sz, _st, _st, _dp]),
    "nnb_net_backprop_f32": (_st, [_h, _p, _sz, _sz, _p, _sz, _st, _st, _dp, _p, _sz]),
    "nnb_net_evaluate_f32": (_st, [_h, _p, _sz, _sz, _p, _sz, _st, _st, _dp, _dp]),
    "nnb_net_train_f32": (_st, [_h, _h, _p, _sz, _sz, _p, _sz, _h]),
    "nnb_net_free": (None, [_h]),
    "nnb_net_add_dense": (_st, [_h, _sz, _st, c_int]),
    "nnb_net_set_leaky_slope": (_st, [_h, _sz, _d]),
    "nnb_net_n_inputs": (_sz, [_h]),
    "nnb_net_n_outputs": (_sz, [_h]),
    "nnb_net_n_layers": (_sz, [_h]),
    "nnb_net_n_params": (_sz, [_h]),
    "nnb_net_layer_info": (_st, [_h, _sz, _szp, _szp, _ip, _ip, _szp, _szp]),
    "nnb_net_set_input_shape": (_st, [_h, _sz, _sz, _sz]),
    "nnb_net_get_input_shape": (_st, [_h, _szp, _szp, _szp]),
    "nnb_net_add_conv2d": (_st, [_h, _sz, POINTER(Window), _st, c_int]),
    "nnb_net_add_maxpool": (_st, [_h, POINTER(Window)]),
    "nnb_net_add_avgpool": (_st, [_h, POINTER(Window)]),
    "nnb_net_add_layer_spec": (_st, [_h, _s, _st, c_int]),
    "nnb_net_layer_kind": (_s, [_h, _sz]),
    "nnb_net_layer_shape": (_st, [_h, _sz, _szp, _szp, _szp]),
    "nnb_net_layer_n_params": (_sz, [_h, _sz]),
    "nnb_net_layer_window": (_st, [_h, _sz, POINTER(Window), _szp]),
    "nnb_net_seed": (_st, [_h, c_uint64]),
    "nnb_net_init": (_st, [_h, _st, c_uint64]),
    "nnb_net_params_get": (_st, [_h, _p, _sz]),
    "nnb_net_params_set": (_st, [_h, _p, _sz]),
    "nnb_net_params_data": (_p, [_h, _szp]),
    "nnb_net_layer_get": (_st, [_h, _sz, _p, _sz, _p, _sz]),
    "nnb_net_layer_set": (_st, [_h, _sz, _p, _sz, _p, _sz]),
    "nnb_net_set_check_finite": (_st, [_h, c_int]),
    "nnb_net_forward": (_st, [_h, _p, _sz, _sz, _p, _sz]),
    "nnb_net_predict": (_st, [_h, _p, _sz, _sz, _p, _sz]),
    "nnb_net_loss": (_st, [_h, _p, _sz, _sz, _p, _sz, _st, _st, _dp]),
    "nnb_net_backprop": (_st, [_h, _p, _sz, _sz, _p, _sz, _st, _st, _dp, _p, _sz]),
    "nnb_net_grad_get": (_st, [_h, _p, _sz]),
    "nnb_net_sgd_step": (_st, [_h, _d, _p, _sz]),
    "nnb_net_grad_check": (_st, [_h, _p, _sz, _sz, _p, _sz, _st, _st, _d, _dp, _szp]),
    # training
    "nnb_net_evaluate": (_st, [_h, _p, _sz, _sz, _p, _sz, _st, _st, _dp, _dp]),
    "nnb_train_opts_create": (_st, [_hp]),
    "nnb_train_opts_free": (None, [_h]),
    "nnb_train_opts_request_stop": (None, [_h]),
    "nnb_train_opts_set_epochs": (_st, [_h, _sz]),
    "nnb_train_opts_set_batch_size": (_st, [_h, _sz]),
    "nnb_train_opts_set_shuffle": (_st, [_h, c_int]),
    "nnb_train_opts_set_loss": (_st, [_h, _st, _st]),
    "nnb_train_opts_set_optimizer": (_st, [_h, _st, _d]),
    "nnb_train_opts_set_momentum": (_st, [_h, _d]),
    "nnb_train_opts_set_adam": (_st, [_h, _d, _d, _d]),
    "nnb_train_opts_set_rmsprop": (_st, [_h, _d, _d]),
    "nnb_train_opts_set_weight_decay": (_st, [_h, _d]),
    "nnb_train_opts_set_clip_norm": (_st, [_h, _d]),
    "nnb_train_opts_set_clip_value": (_st, [_h, _d]),
    "nnb_train_opts_set_dropout": (_st, [_h, _d]),
    "nnb_train_opts_set_schedule": (_st, [_h, _st, _d, _d]),
    "nnb_train_opts_set_restart_mult": (_st, [_h, _d]),
    "nnb_train_opts_set_validation": (_st, [_h, _p, _p, _sz]),
    "nnb_train_opts_set_validation_split": (_st, [_h, _d, c_uint64]),
    "nnb_train_opts_set_early_stopping": (_st, [_h, _sz, c_int]),
    "nnb_train_opts_set_check_finite": (_st, [_h, c_int]),
    "nnb_train_opts_set_epoch_callback": (_st, [_h, EPOCH_FN, _p]),
    "nnb_train_opts_set_epoch_info_callback": (_st, [_h, EPOCH_INFO_FN, _p]),
    "nnb_history_create": (_st, [_hp]),
    "nnb_history_free": (None, [_h]),
    "nnb_history_n_epochs": (_sz, [_h]),
    "nnb_history_get": (_st, [_h, _st, _p, _sz]),
    "nnb_history_summary": (_st, [_h, _szp, _dp, _ip]),
    "nnb_net_train": (_st, [_h, _h, _p, _sz, _sz, _p, _sz, _h]),
    "nnb_net_train_state_size": (_sz, [_h]),
    "nnb_net_train_state_get": (_st, [_h, _p, _sz, _szp]),
    "nnb_net_train_state_set": (_st, [_h, _p, _sz]),
    "nnb_net_train_state_reset": (_st, [_h]),
    # data: CSV tables
    "nnb_csv_opts_create": (_st, [_hp]),
    "nnb_csv_opts_free": (None, [_h]),
    "nnb_csv_opts_set_delimiter": (_st, [_h, c_char]),
    "nnb_csv_opts_add_text_column": (_st, [_h, _s]),
    "nnb_csv_opts_skip_column": (_st, [_h, _s]),
    "nnb_csv_opts_set_drop_bad_rows": (_st, [_h, c_int]),
    "nnb_csv_opts_set_decimal": (_st, [_h, c_char]),
    "nnb_csv_opts_keep_missing": (_st, [_h, _s]),
    "nnb_csv_detect_decimal_buffer": (_st, [c_char_p, _sz, c_char, c_char_p]),
    "nnb_csv_opts_set_input_limit": (_st, [_h, _sz]),
    "nnb_csv_read": (_st, [_hp, _s, _h]),
    "nnb_csv_read_buffer": (_st, [_hp, c_char_p, _sz, _s, _h]),
    "nnb_input_read": (_st, [_s, _sz, c_int, POINTER(c_char_p), _szp]),
    "nnb_table_free": (None, [_h]),
    "nnb_table_n_rows": (_sz, [_h]),
    "nnb_table_n_columns": (_sz, [_h]),
    "nnb_table_n_dropped_rows": (_sz, [_h]),
    "nnb_table_column_name": (c_char_p, [_h, _sz]),
    "nnb_table_find_column": (_st, [_h, _s, _szp]),
    "nnb_table_column_is_text": (c_int, [_h, _sz]),
    "nnb_table_get_column": (_st, [_h, _sz, _p, _sz]),
    "nnb_table_get_text": (c_char_p, [_h, _sz, _sz]),
    # data: preparation
    "nnb_prep_create": (_st, [_hp]),
    "nnb_prep_free": (None, [_h]),
    "nnb_prep_add_target": (_st, [_h, _s, _st]),
    "nnb_prep_drop": (_st, [_h, _s]),
    "nnb_prep_onehot": (_st, [_h, _s]),
    "nnb_prep_scale": (_st, [_h, _s, _st]),
    "nnb_prep_set_unseen": (_st, [_h, _st]),
    "nnb_prep_fill": (_st, [_h, _s, _st]),
    "nnb_prep_column_fill": (_st, [_h, _s, _ip, _dp, POINTER(c_char_p)]),
    "nnb_prep_n_unseen": (_st, [_h, _h, _p, _sz, _szp, _szp]),
    "nnb_net_train_memory_dense": (_st, [_sz, _p, _sz, _st, _h, _sz, _szp]),
    "nnb_net_train_memory": (_st, [_h, _h, _sz, _szp]),
    "nnb_get_available_memory": (_sz, []),
    "nnb_prep_fit": (_st, [_h, _h, _p, _sz]),
    "nnb_prep_fit_matrix": (_st, [_h, _p, _sz, _sz, _st]),
    "nnb_prep_is_fitted": (c_int, [_h]),
    "nnb_prep_n_features": (_sz, [_h]),
    "nnb_prep_n_targets": (_sz, [_h]),
    "nnb_prep_apply": (_st, [_h, _h, _p, _sz, _p, _sz, _p, _sz]),
    "nnb_prep_transform": (_st, [_h, _p, _sz, _sz]),
    "nnb_prep_inverse_targets": (_st, [_h, _p, _sz, _sz]),
    "nnb_prep_apply_f32": (_st, [_h, _h, _p, _sz, _p, _sz, _p, _sz]),
    "nnb_prep_transform_f32": (_st, [_h, _p, _sz, _sz]),
    "nnb_prep_inverse_targets_f32": (_st, [_h, _p, _sz, _sz]),
    "nnb_prep_feature_name": (c_char_p, [_h, _sz]),
    "nnb_prep_target_name": (c_char_p, [_h, _sz]),
    "nnb_prep_n_classes": (_sz, [_h]),
    "nnb_prep_class_label": (c_char_p, [_h, _sz]),
    "nnb_prep_column_stats": (_st, [_h, _s, _ip, _dp, _dp, _ip]),
    "nnb_prep_n_constant_columns": (_sz, [_h]),
    "nnb_prep_constant_name": (c_char_p, [_h, _sz]),
    "nnb_prep_n_columns": (_sz, [_h]),
    "nnb_prep_column_info": (_st, [_h, _sz, POINTER(c_char_p), _ip, _ip, _szp]),
    "nnb_prep_column_category": (c_char_p, [_h, _sz, _sz]),
    # data: splits, IDX
    "nnb_rows_split": (_st, [_sz, _d, _d, c_uint64, _p, _sz, _p, _sz, _szp, _szp, _szp]),
    "nnb_idx_info": (_st, [_s, _szp, _szp]),
    "nnb_idx_read_images": (_st, [_s, _p, _sz, _szp, _szp]),
    "nnb_idx_read_labels": (_st, [_s, _sz, _p, _sz, _szp]),
    "nnb_mnist_info": (_st, [_s, _st, _szp, _szp]),
    "nnb_mnist_read_part": (_st, [_s, _st, c_int, _p, _sz, _p, _sz]),
    # model files
    "nnb_meta_create": (_st, [_hp]),
    "nnb_meta_free": (None, [_h]),
    "nnb_meta_set": (_st, [_h, _s, _s]),
    "nnb_meta_get": (c_char_p, [_h, _s]),
    "nnb_meta_n_keys": (_sz, [_h]),
    "nnb_meta_key": (c_char_p, [_h, _sz]),
    "nnb_meta_value": (c_char_p, [_h, _sz]),
    "nnb_model_write": (_st, [_s, _h, _h, _h, c_int]),
    "nnb_model_write_size": (_sz, [_h, _h, _h, c_int]),
    "nnb_model_write_buffer": (_st, [_h, _h, _h, c_int, _p, _sz, _szp]),
    "nnb_model_read": (_st, [_hp, _hp, _hp, _s]),
    "nnb_model_read_buffer": (_st, [_hp, _hp, _hp, _p, _sz]),
    # exports (docs/export.md)
    "nnb_export_opts_create": (_st, [_hp]),
    "nnb_export_opts_free": (None, [_h]),
    "nnb_export_opts_set_name": (_st, [_h, _s]),
    "nnb_export_opts_set_input_scale": (_st, [_h, _d]),
    "nnb_export_opts_set_int8": (_st, [_h, c_int]),
    "nnb_export_opts_set_own_math": (_st, [_h, c_int]),
    "nnb_onnx_write": (_st, [_s, _h, _h, _h, _h]),
    "nnb_c_source_write": (_st, [_s, _s, _h, _h, _h, _h]),
    "nnb_net_copy_int8": (_st, [_hp, _h]),
}


def _recorded():
    """The library files nnblas/_config.py (written by the installer) points at."""
    try:
        from . import _config
    except ImportError:
        return []
    here = os.path.dirname(os.path.abspath(__file__))
    soname = getattr(_config, "SONAME", SONAME)
    found = []
    libdir = getattr(_config, "LIBDIR", None)
    if libdir:
        recorded_pkg = getattr(_config, "PACKAGE_DIR", None)
        if recorded_pkg and os.path.normpath(recorded_pkg) != here:
            # the package is not where it was installed (DESTDIR, a moved prefix): the library
            # is where it was relative to the package
            moved = os.path.normpath(os.path.join(here, os.path.relpath(libdir, recorded_pkg)))
            found.append((os.path.join(moved, soname), "installed beside the package"))
        found.append((os.path.join(libdir, soname), "the install folder meson recorded"))
    for d in getattr(_config, "BUILD_LIBDIRS", ()):
        found.append((os.path.join(d, soname), "the build folder pip recorded"))
    return found


def _prefix_dirs():
    """The library folders of this Python environment's prefix (a venv's too)."""
    import sysconfig
    multiarch = sysconfig.get_config_var("MULTIARCH")
    subdirs = (["lib/" + multiarch] if multiarch else []) + ["lib64", "lib"]
    return [os.path.join(p, d) for p in dict.fromkeys((sys.prefix, sys.base_prefix))
            for d in subdirs]

# The shared vocabulary: nnb_<enum>_name / _parse / _n_values of every enum (nnblas.vocabulary)
VOCABULARIES = ("activation", "init", "loss", "reduction", "optimizer", "schedule",
                "history_field", "target_kind", "scale", "unseen", "mnist_part", "dtype", "fill")
for _e in VOCABULARIES:
    PROTOTYPES["nnb_%s_name" % _e] = (c_char_p, [_st])
    PROTOTYPES["nnb_%s_parse" % _e] = (_st, [_s, _ip])
    PROTOTYPES["nnb_%s_n_values" % _e] = (_sz, [])
del _e

# The names the naming rule replaced (nnblas.h, "Deprecated names"; the library exports both
# until 1.0): old name -> (new name, the old arguments' order in the new call, or None when only
# the name changed). Each old name is declared from its replacement's prototype, so every C
# function is still declared once; test_api.DeprecatedNamesTest checks this table against the
# header and calls each old name.
DEPRECATED = {
    "nnb_gradcheck": ("nnb_net_grad_check", None),
    "nnb_split": ("nnb_rows_split", None),
    "nnb_nearest_name": ("nnb_name_find_nearest", None),
    "nnb_train": ("nnb_net_train", None),
    "nnb_train_f32": ("nnb_net_train_f32", None),
    "nnb_read_input": ("nnb_input_read", None),
    "nnb_too_many_classes": ("nnb_target_has_too_many_classes", None),
    "nnb_prep_set_target": ("nnb_prep_add_target", None),
    "nnb_net_convert": ("nnb_net_copy", (2, 0, 1)),
    "nnb_model_load": ("nnb_model_read", (1, 2, 3, 0)),
    "nnb_model_load_buffer": ("nnb_model_read_buffer", (2, 3, 4, 0, 1)),
    "nnb_model_save_buffer": ("nnb_model_write_buffer", (3, 4, 5, 6, 0, 1, 2)),
    "nnb_mnist_read": ("nnb_mnist_read_part", (0, 1, 6, 2, 3, 4, 5)),
    "nnb_model_save": ("nnb_model_write", None),
    "nnb_model_save_size": ("nnb_model_write_size", None),
    "nnb_history_len": ("nnb_history_n_epochs", None),
    "nnb_meta_count": ("nnb_meta_n_keys", None),
    "nnb_table_n_cols": ("nnb_table_n_columns", None),
    "nnb_table_n_dropped": ("nnb_table_n_dropped_rows", None),
    "nnb_prep_n_constant": ("nnb_prep_n_constant_columns", None),
    "nnb_table_col_name": ("nnb_table_column_name", None),
    "nnb_table_find_col": ("nnb_table_find_column", None),
    "nnb_table_col_is_text": ("nnb_table_column_is_text", None),
    "nnb_csv_parse": ("nnb_csv_read_buffer", None),
    "nnb_csv_options_create": ("nnb_csv_opts_create", None),
    "nnb_csv_options_free": ("nnb_csv_opts_free", None),
    "nnb_csv_options_set_delimiter": ("nnb_csv_opts_set_delimiter", None),
    "nnb_csv_options_text_column": ("nnb_csv_opts_add_text_column", None),
    "nnb_csv_options_skip_column": ("nnb_csv_opts_skip_column", None),
    "nnb_csv_options_set_drop_bad_rows": ("nnb_csv_opts_set_drop_bad_rows", None),
    "nnb_csv_options_set_input_limit": ("nnb_csv_opts_set_input_limit", None),
    "nnb_input_limit": ("nnb_get_input_limit", None),
}
for _e in VOCABULARIES + ("status",):
    if _e != "fill":  # newer than the _count names: it never had one
        DEPRECATED["nnb_%s_count" % _e] = ("nnb_%s_n_values" % _e, None)
del _e
for _old, (_new, _order) in DEPRECATED.items():
    _r, _a = PROTOTYPES[_new]
    PROTOTYPES[_old] = (_r, _a if _order is None else [_a[_order.index(k)] for k in range(len(_a))])
del _old, _new, _order, _r, _a


def _candidates():
    """The library paths to try, in order, each with where it came from."""
    env = os.environ.get("NNBLAS_LIBRARY")
    if env:
        return [(env, "NNBLAS_LIBRARY")]
    found = _recorded()
    # bindings/python/nnblas/_lib.py -> the repository root, if this is a checkout
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))))
    if os.path.isfile(os.path.join(root, "include", "nnblas.h")):
        dirs = [os.environ.get("NNBLAS_BUILD_DIR") or "", "build"]
        for d in dict.fromkeys(x for x in dirs if x):
            path = os.path.join(root, d, "lib", SONAME)
            if os.path.isfile(path):
                found.append((path, "the source tree's build folder"))
    for d in _prefix_dirs():
        path = os.path.join(d, SONAME)
        if os.path.isfile(path):
            found.append((path, "the Python environment's prefix"))
    name = ctypes.util.find_library("nnblas")
    if name:
        found.append((name, "ctypes.util.find_library"))
    found.append((SONAME, "the dynamic loader's search path"))
    # a recorded file that is missing is skipped silently (it is in the list of tries only if
    # nothing loads)
    return found


def _load():
    tried = []
    for path, how in _candidates():
        if os.sep in path and not os.path.isfile(path):
            tried.append("%s (%s): no such file" % (path, how))
            continue
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            tried.append("%s (%s): %s" % (path, how, e))
    raise ImportError(
        "nnblas: cannot load the C library libnnblas.so. Tried:\n  " + "\n  ".join(tried) +
        "\nBuild it (scripts/build, giving build/lib/libnnblas.so.0) or install it "
        "(meson install -C build, which installs this package too), or set NNBLAS_LIBRARY to "
        "the library file.")


class _Ranged:
    """An argument type that checks a Python integer against its C type's range before ctypes
    converts it (ctypes wraps silently: 2**64 would become a size of 0, -1 a limit of 2**64 - 1).
    Out of range is TooLargeError (above) or InvalidArgumentError (below), never a wrapped value;
    anything else is converted by the C type as before."""

    def __init__(self, ctype, low, high, what):
        self.ctype, self.low, self.high, self.what = ctype, low, high, what

    def problem(self, value):
        """(exception class, message) when value is an integer out of range, else None."""
        if isinstance(value, (float, ctypes._SimpleCData)) or not hasattr(value, "__index__"):
            return None
        from .errors import InvalidArgumentError, TooLargeError
        v = value.__index__()
        if v > self.high:
            return TooLargeError, "%d exceeds the largest %s, %d" % (v, self.what, self.high)
        if v < self.low:
            return InvalidArgumentError, "%d is below the smallest %s, %d" % (v, self.what,
                                                                               self.low)
        return None

    def from_param(self, value):
        bad = self.problem(value)
        if bad:
            raise bad[0](bad[1])
        return self.ctype.from_param(value.__index__() if hasattr(value, "__index__") and
                                     not isinstance(value, ctypes._SimpleCData) else value)


_RANGED = {  # c_size_t is c_uint64 on 64-bit systems
    c_uint64: _Ranged(c_uint64, 0, 2 ** 64 - 1, "64-bit unsigned value (uint64_t)"),
    c_size_t: _Ranged(c_size_t, 0, 2 ** (8 * ctypes.sizeof(c_size_t)) - 1, "size (size_t)"),
    c_int: _Ranged(c_int, -2 ** 31, 2 ** 31 - 1, "C int"),
}


def _unwrapped(fn, argtypes):
    """fn, raising the range check's own exception (not ctypes.ArgumentError) for an integer
    argument out of its C type's range."""
    def call(*args):
        try:
            return fn(*args)
        except ctypes.ArgumentError:
            for i, (t, a) in enumerate(zip(argtypes, args)):
                bad = t.problem(a) if isinstance(t, _Ranged) else None
                if bad:
                    raise bad[0]("%s: argument %d: %s" % (fn.__name__, i + 1, bad[1])) from None
            raise
    call.__name__ = call.__qualname__ = fn.__name__
    return call


def _declare(lib):
    for name, (restype, argtypes) in PROTOTYPES.items():
        try:
            fn = getattr(lib, name)
        except AttributeError:
            raise ImportError("nnblas: the C library lacks %s(); it is older than the Python "
                              "binding %s" % (name, __version__)) from None
        fn.restype = restype
        fn.argtypes = [_RANGED.get(t, t) for t in argtypes]
        if any(isinstance(t, _Ranged) for t in fn.argtypes):
            setattr(lib, name, _unwrapped(fn, fn.argtypes))


lib, path = _load()
_declare(lib)

library_version = lib.nnb_version_string().decode()


def _check_version():
    want = __version__.split(".")[:2]
    have = library_version.split(".")[:2]
    if want != have:
        raise ImportError(
            "nnblas: the Python binding %s needs libnnblas %s.x, but %s is version %s. "
            "Use the binding that came with that library, or point NNBLAS_LIBRARY at a matching "
            "build." % (__version__, ".".join(want), path, library_version))


_check_version()

# every status of the library has its exception class (errors.CommError... or a generated one)
_register_statuses([(s, lib.nnb_status_name(s).decode())
                    for s in range(1, lib.nnb_status_n_values())])


def last_error():
    """This thread's last C error message."""
    msg = lib.nnb_last_error()
    return msg.decode("utf-8", "replace") if msg else ""


def check(status):
    """Raises the exception of a non-zero nnb_status with the C message. Call it right after the
    C call, on the same thread (the message is thread-local)."""
    if status:
        msg = last_error() or lib.nnb_status_string(status).decode()
        raise error_class(status)(msg, status)


def call(name, *args):
    """Calls the C function `name` and raises on a non-zero status."""
    check(getattr(lib, name)(*args))


def text(b):
    """A C string (bytes or None) as str."""
    return None if b is None else b.decode("utf-8", "replace")


def cstr(s, what="name"):
    """A str as a NUL-terminated UTF-8 C string."""
    if not isinstance(s, str):
        raise TypeError("%s must be a str, not %s" % (what, type(s).__name__))
    b = s.encode("utf-8")
    if b"\0" in b:
        from .errors import InvalidArgumentError
        raise InvalidArgumentError("%s contains a NUL character: %r" % (what, s))
    return b


def fspath(p):
    """A path (str, bytes or os.PathLike) as bytes for C."""
    p = os.fspath(p)
    if isinstance(p, str):
        p = os.fsencode(p)
    if b"\0" in p:
        from .errors import InvalidArgumentError
        raise InvalidArgumentError("the path contains a NUL character: %r" % (p,))
    return p


class Handle:
    """Owns one C object (the handle in _h): frees it with the C destructor named by _free when
    closed or garbage collected; _handle raises StateError once it is closed."""

    _h = None
    _free = None
    _what = "object"

    @property
    def _handle(self):
        if self._h is None:
            raise StateError("the %s is closed" % self._what)
        return self._h

    def _release(self):
        h, self._h = self._h, None
        if h is not None and lib is not None:
            getattr(lib, self._free)(h)

    def __del__(self):
        self._release()
