#!/bin/sh
# Installs Debian's HTML documentation packages and copies the pages the
# extract evaluation has labels for (testdata/eval/debian/*.labels) to
# testdata/eval/pages, which is not in git. Run from anywhere, as root or
# with sudo available; then: go test ./filters/extract -run Evaluation -v
set -eu
cd "$(dirname "$0")"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
PKGS="python3.11-doc git-doc debian-reference-en sqlite3-doc bash-doc"
missing=""
for p in $PKGS; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
copy() { # source under /usr/share/doc, destination under pages/
	mkdir -p "eval/pages/$(dirname "$2")"
	cp "/usr/share/doc/$1" "eval/pages/$2"
}
copy python3.11/html/tutorial/controlflow.html python/controlflow.html
copy python3.11/html/library/functools.html python/functools.html
copy python3.11/html/howto/sorting.html python/sorting.html
copy python3.11/html/faq/general.html python/faq-general.html
copy git-doc/git-commit.html git/git-commit.html
copy git-doc/gittutorial.html git/gittutorial.html
copy debian-reference-en/docs/ch01.en.html debian-reference/ch01.html
copy debian-reference-en/docs/ch09.en.html debian-reference/ch09.html
# Held out: labelled after the extractor was written, never tuned on.
copy sqlite3/whentouse.html sqlite/whentouse.html
copy sqlite3/datatype3.html sqlite/datatype3.html
copy sqlite3/quirks.html sqlite/quirks.html
copy bash/bash.html bash/bash.html
echo "copied $(find eval/pages -name '*.html' | wc -l) pages to $(pwd)/eval/pages"
