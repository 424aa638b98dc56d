package main

import (
	"maps"
	"os"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// plotSoak draws the soak's per-minute series, one panel each (rates, ack
// latency, RSS, storage), into an SVG at path, so that a drift shows at a
// glance.
func plotSoak(series []soakMinute, path string) (string, error) {
	panels := []struct {
		title, unit string
		lines       map[string]func(soakMinute) float64
	}{
		{"events per second", "/s", map[string]func(soakMinute) float64{
			"accepted": func(m soakMinute) float64 { return m.accepted }, "completed": func(m soakMinute) float64 { return m.completed }}},
		{"ack latency", "ms", map[string]func(soakMinute) float64{
			"p50": func(m soakMinute) float64 { return m.ackP50 }, "p99": func(m soakMinute) float64 { return m.ackP99 }}},
		{"webhookd dev RSS", "MiB", map[string]func(soakMinute) float64{
			"rss": func(m soakMinute) float64 { return m.rssMiB }}},
		{"storage", "MiB", map[string]func(soakMinute) float64{
			"postgres":        func(m soakMinute) float64 { return float64(m.pgBytes) / (1 << 20) },
			"temporal sqlite": func(m soakMinute) float64 { return float64(m.tBytes) / (1 << 20) }}},
	}
	plots := make([][]*plot.Plot, len(panels))
	for i, pn := range panels {
		p := plot.New()
		p.Title.Text = pn.title
		p.X.Label.Text = "minute"
		p.Y.Label.Text = pn.unit
		p.Legend.Top = true
		n := 0
		for _, name := range sortedKeys(pn.lines) {
			xys := make(plotter.XYs, len(series))
			for j, m := range series {
				xys[j] = plotter.XY{X: float64(m.minute), Y: pn.lines[name](m)}
			}
			l, err := plotter.NewLine(xys)
			if err != nil {
				return "", err
			}
			l.Color = plotutil.Color(n)
			l.Width = vg.Points(1.5)
			p.Add(l)
			p.Legend.Add(name, l)
			n++
		}
		plots[i] = []*plot.Plot{p}
	}
	img := vgsvg.New(8*vg.Inch, 12*vg.Inch)
	canvases := plot.Align(plots, draw.Tiles{Rows: len(panels), Cols: 1, PadY: vg.Points(12)}, draw.New(img))
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
	}
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := img.WriteTo(f); err != nil {
		return "", err
	}
	return path, f.Close()
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
