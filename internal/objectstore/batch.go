package objectstore

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/stratus-iaas/stratus/internal/store"
)

// batch is the Querier of an optimistic group-commit run (committer.run):
// the requests of one transaction share what they read of containers and
// add up their counter changes, which are written once per container and
// account when the run ends. A batch of small PUTs into one container then
// reads the container once and updates two counter rows, instead of a read
// and two updates per PUT.
//
// Only the store functions of this file's neighbours (getContainer,
// bumpContainer, getAccount, bumpAccount and the container writes) know
// about it; they see the same values through a batch as they would
// without one. A savepoint run (after a failure) uses no batch, because a
// rolled-back request's changes would stay in it.
type batch struct {
	store.Querier
	containers map[string]*Container // read in this transaction, counters as changed since
	cdelta     map[string]*counts    // container counters not yet written, by containerKey
	adelta     map[string]*counts    // account counters not yet written
}

type counts struct{ containers, objects, bytes int64 }

func newBatch(q store.Querier) *batch {
	return &batch{Querier: q, containers: map[string]*Container{}, cdelta: map[string]*counts{}, adelta: map[string]*counts{}}
}

func batchOf(q store.Querier) *batch {
	b, _ := q.(*batch)
	return b
}

func containerKey(account, name string) string { return account + "\x00" + name }

func copyContainer(c *Container) *Container {
	d := *c
	d.Meta = maps.Clone(c.Meta)
	return &d
}

// flush writes the counter changes, in key order so that concurrent
// transactions (several nodes on PostgreSQL) lock rows in one order.
func (b *batch) flush(ctx context.Context) error {
	for _, k := range slices.Sorted(maps.Keys(b.cdelta)) {
		d := b.cdelta[k]
		if d.objects == 0 && d.bytes == 0 {
			continue
		}
		account, name, _ := strings.Cut(k, "\x00")
		if err := updateContainerCounts(ctx, b.Querier, account, name, d.objects, d.bytes); err != nil {
			return err
		}
	}
	for _, k := range slices.Sorted(maps.Keys(b.adelta)) {
		d := b.adelta[k]
		if err := updateAccountCounts(ctx, b.Querier, k, d.containers, d.objects, d.bytes); err != nil {
			return err
		}
	}
	clear(b.cdelta)
	clear(b.adelta)
	return nil
}

func (b *batch) pending(m map[string]*counts, k string) *counts {
	d := m[k]
	if d == nil {
		d = &counts{}
		m[k] = d
	}
	return d
}
