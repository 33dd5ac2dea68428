package gen

import "strings"

// The word lists the corpus is made of. They are small on purpose (a few
// hundred words): tag names, source names, titles and summaries are
// combined from them procedurally, and names of products and companies are
// spelled from syllables, so the corpus has a long tail of rare words as
// real text does. A '-' in text words is printed as U+2011 on most cards,
// as the aggregator does. The lists are lookup tables, never written.

func words(s string) []string { return strings.Fields(s) }

// phrases splits on '|', for entries of several words.
func phrases(s string) []string {
	var out []string
	for _, p := range strings.Split(s, "|") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

var (
	// Title-case words that start a tag of several words.
	tagQualifiers = words(`Distributed Backend Frontend Cloud Data Mobile Web Database Network Service Event
		Stream Batch Message Graph Vector Edge Serverless Microservice Container Cluster Storage Cache Search
		Security Machine Deep Large-Scale High Low Code Test Release Incident Capacity Cost Query Schema Index
		Memory Thread Async Reactive Functional Embedded Game Audio Video Image Payment Recommendation Ad Risk
		Fraud Log Metric Config Feature Model Platform Infrastructure System Real-time Hybrid Multi-tenant
		Open Source Secure Elastic Adaptive Incremental Parallel Concurrent Transaction Consensus Time
		Series Spatial Text Natural Language Browser Native Cross-platform Identity Access Workflow Job Task
		Traffic Release Chaos Site Performance Reliability Observability Continuous Automated Private Public
		Enterprise Domain Business Product Team Engineering Developer Sales Content Media Social Retail
		Financial Banking Healthcare Logistics Supply Chain Customer User Mobile-first Zero-trust`)

	// Title-case words that end a tag of several words.
	tagHeads = words(`Architecture Systems Processing Storage Cache Queue Scheduling Consistency Replication
		Partitioning Monitoring Testing Deployment Security Networking Optimization Management Design
		Engineering Analytics Pipeline Gateway Mesh Index Search Compiler Runtime Memory Concurrency
		Transactions Migration Observability Tracing Logging Alerting Recovery Backup Encryption
		Authentication Authorization Rendering Layout Inference Training Modeling Governance Warehouse
		Streaming Ingestion Serialization Protocol Routing Discovery Orchestration Virtualization Containers
		Automation Scalability Performance Reliability Availability Latency Throughput Sharding Indexing
		Compression Profiling Debugging Refactoring Patterns Algorithms Structures Visualization Cloud
		Computing Platform Framework Engine Service Services Cluster Lake Store Database Databases API APIs
		Integration Delivery Operations Strategy Planning Evaluation Benchmarking Tuning Isolation Locking
		Coordination Election Balancing Hashing Caching Retrieval Ranking Embedding Detection Prevention
		Compliance Auditing Provisioning Configuration Lifecycle Hygiene Debt Review Culture Metrics SLOs`)

	// Lowercase words for the first word of lowercase tags ("load balancing").
	lowerMods = words(`load fault data cloud query cache service backend frontend network memory disk thread
		lock rate traffic event message stream batch log metric trace error code test release config feature
		schema index storage cluster node leader consensus replica shard partition request response session
		token user cost capacity build dependency container image package api business cross-region
		multi-region zero-downtime high low real-time large-scale end-to-end hot cold warm read write`)

	// Lowercase heads of lowercase tags.
	lowerHeads = words(`balancing tolerance caching routing scaling tuning testing hashing batching throttling
		limiting sharding partitioning replication migration monitoring tracing logging profiling debugging
		design modeling management isolation recovery failover backup compression serialization indexing
		retrieval ranking scheduling sync consistency availability latency throughput optimization
		deployment rollout rollback provisioning governance architecture processing analysis pipeline
		cleanup reduction budgeting planning review automation orchestration discovery election eviction
		warmup backpressure`)

	// Well-known acronyms; more are spelled from letters.
	acronyms = words(`HDFS CDN RPC JMS APM JVM GC SQL ETL OLAP OLTP CI CD SRE SLA SLO API REST GraphQL gRPC
		TCP UDP HTTP DNS TLS SSL JWT OAuth SSO IAM VPC VPN NAT LRU LSM MVCC ACID CAP CRDT DAG RDMA NVMe SSD
		GPU CPU TPU NLP LLM RAG OCR CV ML AI MLOps AIOps FinOps DevOps SecOps NoSQL NewSQL HTAP CQRS DDD TDD
		BDD MVC MVVM SPA SSR PWA CSS HTML DOM WASM JIT AOT ORM CDC WAL RAID NFS S3 EC2 ECS EKS GKE AKS K8s
		IoT AR VR QA UX UI SDK IDE CLI YAML JSON XML RBAC ABAC WAF DDoS XSS CSRF SQLi SAST DAST SBOM`)

	// CamelCase product names: a prefix and a suffix ("ClickHouse").
	camelPrefixes = words(`Click Rabbit Zoo Stream Flow Data Cloud Hyper Meta Open Fast Deep Tiny Quick Spark
		Storm Iron Blue Red Star Sky Sea Moon Sun Fire Ice Rock Sand Wave Bit Byte Code Dev Net Web Logic
		Pixel Vector Graph Tensor Kube Dock Lambda Echo Nova Pulse Swift Light Dark Green Gold Silver`)
	camelSuffixes = words(`House MQ Keeper DB Base Hub Flow Kit Lab Works Stack Forge Mesh Grid Lake Store Cache
		Scale Chat Pay Map Ops Sync Bridge Gate Watch Dash Board Pipe Beam Core Verse Cloud Shift Sense
		Track Log Search Bot`)

	// Syllables for names of products, companies and people.
	onsets = words(`b br c ch cr d dr f fl g gr h j k kl l m n p pr qu r s sh sk st t tr v w x y z zh`)
	nuclei = words(`a e i o u a e o ia io ai ou`)
	codas  = words(`n r l s x k m nd rt ng`)

	firstNames = words(`Jeff Martin Leslie Barbara Ken Linus Grace Donald Edsger Tony Butler Werner Jay
		Camille Kelsey Brendan Charity Liz Adrian Mitchell Sanjay Yuki Wei Li Chen Ming Anna Sofia Lars
		Ravi Priya Omar Fatima Diego Lucia Jonas Emma Noah Aiko Hiro Olga Ivan`)
	lastNames = words(`Dean Fowler Lamport Liskov Thompson Knuth Hopper Dijkstra Hoare Lampson Vogels Kreps
		Hightower Burns Majors Fong Cockcroft Hashimoto Ghemawat Pike Kernighan Ritchie Torvalds Stonebraker
		Gray Wang Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo Lin Petrov Novak Silva Costa`)

	// The aggregator's categories.
	categories = phrases(`Backend Development|Big Data|Databases|Operations|Cloud Native|Frontend Development|
		Artificial Intelligence|Mobile Development|Industry Insights|Fundamentals|Information Security|
		Cloud Computing|Game Development|R&D Management|Product Management|Blockchain|Testing|
		Internet of Things|Programming Languages|Open Source`)

	// Source names: "Architecture Digest", "Talumo Tech", "DBA Plus".
	sourceHeads = words(`Digest Weekly Notes Tech Engineering Blog Review Journal Daily Insights Lab Academy
		Community Circle Hub Column Talk Frontier Camp Post Times Voice Matters Corner Garden Station`)
	sourceMods = words(`Architecture Backend Frontend Cloud Data Database Ops DevOps Java Python Go Rust
		Infra Platform Systems Coding Developer Programmer Engineer Tech Geek Open Source AI Algorithm
		Security Mobile Web Test Microservices Kernel Network Storage`)

	// Title words.
	titleAdjectives = words(`Scalable Reliable Resilient High-Performance Cloud-Native Real-Time Lightweight
		Unified Distributed Modern Efficient Secure Robust Elastic Fault-Tolerant Low-Latency
		High-Throughput Serverless Event-Driven Data-Driven Cost-Effective Production-Grade Large-Scale
		Multi-Tenant Self-Healing Automated Incremental Practical Minimal Modular Observable Portable`)
	titleNouns = words(`Platform System Pipeline Service Architecture Engine Framework Cluster Gateway Backend
		Stack Database Cache Scheduler Queue Index Runtime Toolchain Workflow Monitor Registry Proxy
		Storage Layer Mesh Model Dashboard Compiler Protocol Feed Store`)
	titleGerunds = words(`Building Scaling Designing Migrating Optimizing Debugging Running Operating Testing
		Securing Monitoring Rebuilding Tuning Automating Simplifying Replacing Evolving Deploying`)
	titleVerbs = words(`Built Scaled Redesigned Migrated Optimized Rebuilt Replaced Automated Simplified
		Unified Secured Tamed Evolved Modernized`)
	titleSuffixes = phrases(`at Scale|in Production|Without Downtime|from Scratch|Step by Step|in Practice|
		for Beginners|the Hard Way|on Kubernetes|in the Cloud|at Peak Traffic|Across Data Centers|
		with Zero Data Loss|Under Heavy Load|for Millions of Users`)

	// Summary words.
	summaryOpeners = phrases(`This article explains how|The article details how|This post describes how|
		The author examines how|This case study shows how|The article walks through how|
		This piece analyzes how|The article reviews how|This write-up recounts how|The talk summarized here covers how`)
	summaryVerbs = words(`built designed migrated operates scaled rebuilt optimized evaluated adopted replaced
		introduced deployed hardened simplified`)
	summaryAdjectives = words(`scalable reliable multi-layer high-throughput low-latency real-time unified
		cost-effective fault-tolerant large-scale cloud-native event-driven non-intrusive enterprise-grade
		end-to-end self-service general-purpose highly available lightweight pluggable`)
	summaryNouns = phrases(`service decomposition|redundancy|partitioning|caching|proxying|indexing|load balancing|
		queuing|monitoring|capacity planning|schema design|failover|rate limiting|backpressure|
		leader election|log compaction|hot-key detection|connection pooling|read replicas|write amplification|
		cold starts|tail latency|cache invalidation|message ordering|idempotent retries|schema evolution|
		blue-green deployment|canary releases|feature flags|circuit breakers|service discovery|
		distributed tracing|alert fatigue|cost attribution|data lineage|access control|secret rotation|
		query planning|vectorized execution|columnar storage|garbage collection|memory layout|
		thread scheduling|lock contention|batch sizing|compaction strategy|consistent hashing|
		multi-region replication|disaster recovery|on-call practice|post-mortems|SLO budgets`)
	summaryOutcomes = phrases(`cutting p99 latency by %d%%|reducing infrastructure costs by %d%%|
		handling %d million requests per day|raising throughput %dx|shrinking deployment time to %d minutes|
		keeping availability above 99.9%d%%|serving %d thousand queries per second|
		saving %d engineer-hours a week|halving incident counts over %d months`)
	summaryAsides = phrases(`availability, performance and cost|from ingestion to serving|
		from the first prototype to production|both online and offline|read path and write path alike|
		the data plane and the control plane|for both batch and streaming workloads`)
	quotedTerms = phrases(`good enough|boring technology|single source of truth|shift left|
		you build it, you run it|cattle, not pets|everything fails|measure twice|golden path|paved road`)
)

// Pieces of jargon words ("autosharding", "prefetchable", "cache-aware").
// Spelled from an index (see jargon), they give titles and summaries the
// long tail of middling and rare words that real text has: without it,
// every title would share its rarest words with thousands of others.
var (
	jargonPrefixes = words(`auto micro multi hyper pre re co sub inter over under de un geo meta cross non post
		semi self zero hot cold fast lazy eager`)
	jargonRoots = words(`shard cache stream batch index queue rout scal sync fetch merg split load stor log trac
		schedul compil render pars serializ replicat partition encrypt deploy provision orchestrat balanc
		throttl buffer flush commit snapshot compact evict warm prob hash sort join filter aggregat pipelin
		vectoriz tokeniz embedd quantiz prun distill cluster federat migrat rollback checkpoint`)
	jargonSuffixes = words(`ing er able ed ers ation ability ness`)
	jargonTails    = words(`aware first native free safe bound local driven heavy light`)
)
