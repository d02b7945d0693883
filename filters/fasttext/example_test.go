package fasttext_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/winnow-data/winnow/filters/fasttext"
)

// A model predicts the most probable labels of a text, with the
// probabilities `fasttext predict-prob` prints.
func ExampleModel_Predict() {
	m, err := fasttext.LoadFile("testdata/tiny.bin")
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range m.Predict("kato rimé lusa", 2, 0) {
		fmt.Printf("%s %.3f\n", p.Label, p.Prob)
	}
	// Output:
	// __label__c2 0.334
	// __label__c1 0.333
}

// Train writes a model the fastText CLI loads; one thread makes it
// deterministic.
func ExampleTrain() {
	o := fasttext.DefaultTrainOptions()
	o.Dim, o.Bucket, o.Minn, o.Maxn, o.WordNgrams, o.Epoch, o.Threads = 4, 300, 2, 3, 2, 10, 1
	m, err := fasttext.Train(context.Background(), "testdata/tiny-train.txt", o)
	if err != nil {
		log.Fatal(err)
	}
	f, err := os.CreateTemp("", "model-*.bin")
	if err != nil {
		log.Fatal(err)
	}
	defer os.Remove(f.Name())
	if err := m.Save(f); err != nil {
		log.Fatal(err)
	}
	f.Close()
	fmt.Println(m.Labels()) // by decreasing frequency
	// Output: [__label__c2 __label__c0 __label__c1]
}
