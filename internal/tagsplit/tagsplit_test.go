package tagsplit_test

import (
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"cardex/internal/tagsplit"
)

var (
	dictOnce sync.Once
	dict     *tagsplit.Dictionary
	dictErr  error
)

// newModel returns a model with the shipped lexicon (when lexicon is true)
// and the given corpus observed and trained.
func newModel(tb testing.TB, lexicon bool, corpus ...string) *tagsplit.Model {
	tb.Helper()
	dictOnce.Do(func() { dict, dictErr = tagsplit.EnglishWords() })
	if dictErr != nil {
		tb.Fatal(dictErr)
	}
	m := tagsplit.New(dict, tagsplit.DefaultParams())
	if lexicon {
		f, err := os.Open("../../seeds/lexicon.tags")
		if err != nil {
			tb.Fatal(err)
		}
		defer f.Close()
		if err := m.ReadLexicon(f); err != nil {
			tb.Fatal(err)
		}
	}
	for _, g := range corpus {
		m.Observe(g)
	}
	m.Train(3)
	return m
}

// The examples the importer issue names, split by a model that knows the
// shipped lexicon and a small corpus in which the page tag recurs, as it
// does on every real page.
func TestSplitIssueExamples(t *testing.T) {
	tests := []struct {
		glued string
		want  []string
	}{
		{"Distributed SystemsRound Robinfault tolerance", []string{"Distributed Systems", "Round Robin", "fault tolerance"}},
		{"Distributed SystemsHAProxyload balancing", []string{"Distributed Systems", "HAProxy", "load balancing"}},
		{"AlibabaDistributed SystemsMySQL", []string{"Alibaba", "Distributed Systems", "MySQL"}},
		{"BackendConfiguration ManagementDevOps", []string{"Backend", "Configuration Management", "DevOps"}},
		{"Cloud ComputingDistributed SystemsEVCache", []string{"Cloud Computing", "Distributed Systems", "EVCache"}},
		{"DBaaSDatabase CloudDistributed Systems", []string{"DBaaS", "Database Cloud", "Distributed Systems"}},
		{"Distributed SystemsREST APIRabbitMQ", []string{"Distributed Systems", "REST API", "RabbitMQ"}},
		{"APMAlertingDistributed Systems", []string{"APM", "Alerting", "Distributed Systems"}},
		{"Distributed Systemshigh availabilityload balancing", []string{"Distributed Systems", "high availability", "load balancing"}},
		{"Distributed SystemsOperationsautomation", []string{"Distributed Systems", "Operations", "automation"}},
		{"Distributed SystemsPaxosconsensus", []string{"Distributed Systems", "Paxos", "consensus"}},
		{"Distributed Systemscloud syncdata routing", []string{"Distributed Systems", "cloud sync", "data routing"}},
		{"Distributed SystemsIM architectureScalable Systems", []string{"Distributed Systems", "IM architecture", "Scalable Systems"}},
		{"AlbianjDistributed SystemsID generation", []string{"Albianj", "Distributed Systems", "ID generation"}},
		{"BigtableDistributed SystemsJeff Dean", []string{"Bigtable", "Distributed Systems", "Jeff Dean"}},
		{"Anti-entropyConsistencyDistributed Systems", []string{"Anti-entropy", "Consistency", "Distributed Systems"}},
		{"Cost OptimizationData as a ServiceDistributed Systems", []string{"Cost Optimization", "Data as a Service", "Distributed Systems"}},
		{"Distributed SystemsLuaNGINX", []string{"Distributed Systems", "Lua", "NGINX"}},
		{"MySQL", []string{"MySQL"}},
		{"Distributed Systems", []string{"Distributed Systems"}},
	}
	corpus := make([]string, 0, len(tests)+20)
	for _, tt := range tests {
		corpus = append(corpus, tt.glued)
	}
	for range 20 { // the page tag recurs on nearly every card
		corpus = append(corpus, "Distributed SystemsKafka")
	}
	m := newModel(t, true, corpus...)
	for _, tt := range tests {
		t.Run(tt.glued, func(t *testing.T) {
			got := m.Split(tt.glued, "")
			if !slices.Equal(got.Tags, tt.want) {
				t.Errorf("Split(%q) = %q, want %q", tt.glued, got.Tags, tt.want)
			}
		})
	}
}

// Without any lexicon or corpus, word knowledge and the ordering rule
// alone must still get the common shapes right.
func TestSplitColdStart(t *testing.T) {
	tests := []struct {
		glued, context string
		want           []string
	}{
		{"CDNload balancing", "", []string{"CDN", "load balancing"}},
		{"Backend ArchitectureMessage Queue", "", []string{"Backend Architecture", "Message Queue"}},
		{"Operationsautomation", "", []string{"Operations", "automation"}},
		{"cachingload balancing", "", []string{"caching", "load balancing"}},
		{"RPCSynchronization", "", []string{"RPC", "Synchronization"}},
		// ZooKeeper cannot be Zoo|Keeper: 'Z' > 'K' breaks the order.
		{"ZooKeeper", "", []string{"ZooKeeper"}},
		// The card's own text names the product.
		{"HAProxyload balancing", "Tuning HAProxy for high traffic", []string{"HAProxy", "load balancing"}},
		{"K8sKafkaStrimzi", "Running Kafka on K8s with Strimzi", []string{"K8s", "Kafka", "Strimzi"}},
		{"Kafka消息队列", "", []string{"Kafka", "消息队列"}},
	}
	m := newModel(t, false)
	for _, tt := range tests {
		t.Run(tt.glued, func(t *testing.T) {
			got := m.Split(tt.glued, tt.context)
			if !slices.Equal(got.Tags, tt.want) {
				t.Errorf("Split(%q) = %q, want %q", tt.glued, got.Tags, tt.want)
			}
		})
	}
}

// Evidence from the corpus decides what word shapes cannot: tags seen
// apart elsewhere are split apart, and a word the corpus's prose uses is
// kept whole.
func TestSplitUsesCorpus(t *testing.T) {
	m := newModel(t, false, "Distributed SystemsFlink", "Distributed SystemsPulsar", "Distributed SystemsFlinkPulsar")
	if got := m.Split("Distributed SystemsFlinkPulsar", ""); !slices.Equal(got.Tags, []string{"Distributed Systems", "Flink", "Pulsar"}) {
		t.Errorf("with Flink and Pulsar apart in the corpus: %q", got.Tags)
	}
	m = newModel(t, false, "ClickHouseDistributed Systems")
	m.ObserveText("How we moved our logs to ClickHouse")
	m.Train(3)
	if got := m.Split("ClickHouseDistributed Systems", ""); !slices.Equal(got.Tags, []string{"ClickHouse", "Distributed Systems"}) {
		t.Errorf("with ClickHouse in the corpus's prose: %q", got.Tags)
	}
}

// A corpus observed again after training is trained again, and a glued
// string too long for the compact corpus (16-bit cut offsets) is not
// learned from but still split.
func TestCorpusBounds(t *testing.T) {
	long := strings.Repeat("Kafka", 14_000) // 70,000 bytes
	m := newModel(t, false, "Distributed SystemsFlink", long)
	m.Observe("Distributed SystemsPulsar")
	m.Observe("Distributed SystemsFlinkPulsar")
	m.Train(3)
	if got := m.Split("Distributed SystemsFlinkPulsar", ""); !slices.Equal(got.Tags, []string{"Distributed Systems", "Flink", "Pulsar"}) {
		t.Errorf("after a second training: %q", got.Tags)
	}
	got := m.Split(long, "")
	checkSplit(t, long, got.Tags, got.Certain)
}

// A close call is reported with its runner-up so a person can settle it.
func TestSplitReportsUncertainty(t *testing.T) {
	m := newModel(t, false)
	got := m.Split("big keyhot key", "")
	if got.Certain {
		t.Fatalf("Split(big keyhot key) with no evidence is certain (%q, margin %.2f); want uncertain", got.Tags, got.Margin)
	}
	if len(got.Alternative) == 0 || slices.Equal(got.Alternative, got.Tags) {
		t.Errorf("uncertain split has no distinct alternative: %+v", got)
	}
	if sure := m.Split("Backend ArchitectureMessage Queue", ""); !sure.Certain {
		t.Errorf("an unambiguous split is reported uncertain: %+v", sure)
	}
}

// Every split concatenates back to its input and is strictly ascending;
// an input that is not sorted comes back whole and uncertain.
func TestSplitInvariants(t *testing.T) {
	m := newModel(t, true)
	for _, g := range []string{"", " ", "a", "zzzAAA", "Kafka Kafka", "b a", "ÄÖÜ", "x\u2011y", strings.Repeat("Ab", 200)} {
		got := m.Split(g, "")
		checkSplit(t, g, got.Tags, got.Certain)
	}
}

// Forks of a trained model split as the model does, at the same time, on
// goroutines of their own: strings it trained on and strings it did not
// (which it searches for, filling the fork's caches). Run with -race, this
// is also the test that forks share nothing they write.
func TestForkSplitsAsTheModelDoes(t *testing.T) {
	m := newModel(t, true, "Distributed SystemsKafka", "Distributed SystemsRound Robinfault tolerance", "HAProxyload balancing")
	type input struct{ glued, ctx string }
	var inputs []input
	for _, g := range []string{"Distributed SystemsKafka", "Distributed SystemsRound Robinfault tolerance", "HAProxyload balancing",
		"Backend ArchitectureDistributed SystemsMessage Queue", "DBaaSDatabase CloudDistributed Systems", "Kafka消息队列", "zzzAAA"} {
		inputs = append(inputs, input{g, ""}, input{g, "How HAProxy does load balancing with Kafka and a message queue"})
	}
	want := make([]tagsplit.Result, len(inputs))
	for i, in := range inputs {
		want[i] = m.Split(in.glued, in.ctx)
	}
	var wg sync.WaitGroup
	for range 4 {
		f := m.Fork()
		wg.Go(func() {
			for range 20 {
				for i, in := range inputs {
					if got := f.Split(in.glued, in.ctx); !slices.Equal(got.Tags, want[i].Tags) || got.Certain != want[i].Certain || got.Margin != want[i].Margin {
						t.Errorf("a fork splits %q as %q (certain %v), the model as %q (certain %v)", in.glued, got.Tags, got.Certain, want[i].Tags, want[i].Certain)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	defer func() {
		if recover() == nil {
			t.Error("Fork of an untrained model did not panic")
		}
	}()
	tagsplit.New(dict, tagsplit.DefaultParams()).Fork()
}

func checkSplit(t *testing.T, glued string, tags []string, certain bool) {
	t.Helper()
	if strings.Join(tags, "") != glued {
		t.Fatalf("Split(%q) = %q does not concatenate back", glued, tags)
	}
	for i := 1; i < len(tags); i++ {
		if tags[i] <= tags[i-1] {
			t.Fatalf("Split(%q) = %q is not strictly ascending", glued, tags)
		}
	}
	if len(tags) == 1 && certain && glued != strings.TrimSpace(glued) {
		t.Fatalf("Split(%q) = %q is certain but the tag has outer spaces", glued, tags)
	}
}

func FuzzSplit(f *testing.F) {
	for _, s := range []string{"Distributed SystemsRound Robinfault tolerance", "HAProxyload balancing", "Kafka消息队列", "a b", "  ", "\xff\xfe"} {
		f.Add(s, "")
	}
	m := newModel(f, true, "Distributed SystemsKafka")
	f.Fuzz(func(t *testing.T, glued, context string) {
		if len(glued) > 300 {
			return
		}
		got := m.Split(glued, context)
		if glued == "" {
			return
		}
		checkSplit(t, glued, got.Tags, got.Certain)
	})
}

func BenchmarkSplit(b *testing.B) {
	inputs := []string{
		"Distributed SystemsRound Robinfault tolerance",
		"Backend ArchitectureDistributed SystemsMessage Queue",
		"Distributed Systemshigh availabilityload balancing",
		"DBaaSDatabase CloudDistributed Systems",
	}
	benchmarkSplit(b, inputs, "")
}

// BenchmarkSplitInContext splits strings the model did not train on,
// with a card's title and summary as context, as the importer does for
// every card past the strings a model trains on (most of them at 1M
// cards).
func BenchmarkSplitInContext(b *testing.B) {
	inputs := []string{
		"Backend ArchitectureDistributed SystemsMessage Queuehigh availability",
		"BalancingCSSGraph ConfigurationTLSreplica tolerance",
		"Code AuthorizationDistributed DiscoveryRelease ObservabilityTest Gateway",
		"DBaaSDatabase CloudDistributed Systemsload balancing",
	}
	ctx := "How we run load balancing for a distributed message queue\n" +
		"The article explains how the team moved its backend architecture to a message queue with high availability, " +
		"covering TLS termination, replica tolerance, release observability and the test gateway they built for it."
	benchmarkSplit(b, inputs, ctx)
}

// benchmarkSplit splits inputs in turn, in context ctx, with a model that
// knows the shipped lexicon and was trained on one string.
func benchmarkSplit(b *testing.B, inputs []string, ctx string) {
	m := newModel(b, true, "Distributed SystemsKafka")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		m.Split(inputs[i%len(inputs)], ctx)
	}
}
