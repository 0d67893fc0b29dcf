package bot

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Register adds collectors of what runs beside the bot (the adviser
// desk…) to the registry /metrics serves, so one scrape has them all.
func (b *Bot) Register(cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := b.m.reg.Register(c); err != nil {
			return fmt.Errorf("registering metrics: %w", err)
		}
	}
	return nil
}
