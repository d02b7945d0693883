package langid

import (
	"testing"

	"github.com/pemistahl/lingua-go"
)

// Technical Chinese has as many Latin letters (paths, commands) as Han
// characters; the Han characters must still decide, as they do for
// lingua's own call.
func TestHanOutweighsLatinInTechnicalText(t *testing.T) {
	det, _ := shared(t)
	for _, s := range []string{
		"10.7.6. CVS 存储库中的文件权限\n\nCVS 不会覆盖当前的存储库文件，只是用另外的文件来替代它。因此，存储库目录的写权限是很重要的。存储库位于 \"/srv/cvs/project\" 的 \"module1\"",
		"用于 Subversion 仓库的 Git\n\n你可以把一个在 \"svn+ssh://svn.example.org/project/module/trunk\" 的 Subversion 仓库检出到一个本地的目录：$ git svn clone -s -A authors.txt",
	} {
		if r := det.Detect(s); r.Lang != lingua.Chinese || r.Score < 0.5 {
			t.Errorf("%.30q: %v %.2f, want Chinese", s, r.Lang, r.Score)
		}
	}
	if r := det.Detect("The config lives in /etc/app/config.yaml; see 配置 for details of every option in the file."); r.Lang != lingua.English {
		t.Errorf("English with one Chinese word: %v", r.Lang)
	}
}
