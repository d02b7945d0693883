// Package fasttext loads, runs and trains fastText supervised classifiers
// in pure Go, with the answers of the reference C++ implementation
// (facebookresearch/fastText 0.9.2, file format version 12).
//
// A model file (.bin, or .ftz when product-quantized) is read by Load or
// LoadFile; Predict returns the top-k labels of a text with their
// probabilities, exactly as `fasttext predict-prob` prints them for the
// same line. Where this package reproduces a piece of the reference, the
// comment names the reference function (src/dictionary.cc, model.cc,
// loss.cc, fasttext.cc, productquantizer.cc, quantmatrix.cc).
//
// Arithmetic follows the reference's float32 (its "real") step by step,
// including the places where it widens to double, so probabilities agree
// to float32 rounding and ties break the same way (the top-k heap
// reproduces libstdc++'s heap algorithms).
package fasttext
