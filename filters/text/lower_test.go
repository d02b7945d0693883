package text

import "testing"

func TestAppendLower(t *testing.T) {
	for in, want := range map[string]string{"": "", "ABC def": "abc def", "ÄÖÜ straße": "äöü straße", "ΣΟΦΊΑ": "σοφία", "日本": "日本"} {
		if got := string(AppendLower([]byte("x:"), in)); got != "x:"+want {
			t.Errorf("AppendLower(%q) = %q, want %q", in, got, "x:"+want)
		}
	}
}
