// Command measure runs the naive lingua call or the langid cascade over
// the labelled set on one core and prints throughput, accuracy and the
// process's peak resident memory, each mode in a process of its own so
// that peak RSS belongs to it alone:
//
//	go run ./filters/langid/internal/measure -mode naive -set docs
//	go run ./filters/langid/internal/measure -mode stage -set paragraphs
//
// Throughput is per CPU second of the process (user + system), so it is
// a per-core figure even on a busy machine; the wall time is printed too.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/pemistahl/lingua-go"

	"github.com/winnow-data/winnow/filters/langid"
	"github.com/winnow-data/winnow/filters/langid/internal/evalset"
	"github.com/winnow-data/winnow/filters/text"
	"github.com/winnow-data/winnow/pipeline"
)

// cpuTime returns the process's user and system CPU time in seconds.
func cpuTime() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func main() {
	mode := flag.String("mode", "stage", "naive (lingua DetectLanguageOf, all 75 languages, high accuracy), stage (the lingua cascade), hybrid (fastText and the cascade), fasttext (lid.176 alone) or lines (the stage at line granularity)")
	backend := flag.String("backend", "hybrid", "lines: the stage's backend")
	set := flag.String("set", "docs", "docs, paragraphs or mixed (documents with a fifth of their lines in another language)")
	dir := flag.String("data", "filters/langid/testdata/accuracy", "directory of the labelled set")
	rounds := flag.Int("rounds", 1, "passes over the set")
	preload := flag.Bool("preload", false, "naive: preload every model (lingua's WithPreloadedLanguageModels)")
	verbose := flag.Bool("v", false, "print every miss")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the timed passes to this file")
	flag.Parse()
	runtime.GOMAXPROCS(1)

	es, err := evalset.Load(*dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	samples := es.Docs
	switch *set {
	case "paragraphs":
		samples = es.Paragraphs
	case "mixed":
		// Every language with a fifth of its lines in English, and English
		// with a fifth in each other language.
		samples = nil
		for _, l := range es.Langs {
			if l != "en" {
				m, _ := es.Mixed(l, "en")
				samples = append(samples, evalset.Sample{Lang: l, Text: m})
				m, _ = es.Mixed("en", l)
				samples = append(samples, evalset.Sample{Lang: "en", Text: m})
			}
		}
	}

	t0 := time.Now()
	var detect func(s string) string
	switch *mode {
	case "naive":
		b := lingua.NewLanguageDetectorBuilder().FromAllLanguages()
		if *preload {
			b = b.WithPreloadedLanguageModels()
		}
		det := b.Build()
		detect = func(s string) string {
			l, _ := det.DetectLanguageOf(s)
			return langid.Code(l)
		}
	case "stage":
		det := langid.NewDetector(langid.Options{})
		detect = func(s string) string { return det.Detect(text.NFC(s)).Code() }
	case "hybrid", "fasttext":
		m, err := langid.LoadModel(context.Background(), "")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		var id langid.Identifier = langid.NewHybrid(langid.NewDetector(langid.Options{Lazy: true}), m, langid.HybridOptions{})
		if *mode == "fasttext" {
			if id, err = langid.NewFastText(m, nil, 0); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
		}
		detect = func(s string) string { return id.Identify(text.NFC(s)).Code }
	case "lines":
		st, err := langid.New(langid.Config{Granularity: "line", Backend: *backend})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		var doc pipeline.Document
		detect = func(s string) string {
			doc.Reset()
			doc.Text = s
			if _, err := st.Process(&doc); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			return doc.Lang
		}
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", *mode)
		os.Exit(2)
	}
	setup := time.Since(t0)

	// The process's CPU time to its first detection: start-up, model
	// loading and the first text.
	detect(samples[0].Text)
	first := cpuTime()
	// A first pass loads the models lingua loads lazily; it is not timed.
	for _, s := range samples {
		detect(s.Text)
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	correct, n := 0, 0
	cpu0 := cpuTime()
	t1 := time.Now()
	for range *rounds {
		for _, s := range samples {
			got := detect(s.Text)
			n++
			if got == s.Lang {
				correct++
			} else if *verbose {
				fmt.Printf("miss: want %s got %s: %.60q\n", s.Lang, got, s.Text)
			}
		}
	}
	wall := time.Since(t1).Seconds()
	cpu := cpuTime() - cpu0
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	bytes := float64(evalset.Bytes(samples) * *rounds)
	fmt.Printf("%s %s: %d texts (%.0f bytes avg), %.1f docs/s, %.3f MB/s per CPU second (wall %.1fs), accuracy %.2f%%, peak RSS %d MB, setup %.1fs, first detection after %.2f CPU-s\n",
		*mode, *set, n, bytes/float64(n), float64(n)/cpu, bytes/cpu/1e6, wall, 100*float64(correct)/float64(n), ru.Maxrss/1024, setup.Seconds(), first)
}
