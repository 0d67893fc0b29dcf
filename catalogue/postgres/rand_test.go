package postgres_test

import "math/rand/v2"

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 42)) }

func pick(r *rand.Rand, vals []string) string { return vals[r.IntN(len(vals))] }
