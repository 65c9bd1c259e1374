// Package charts draws the benchmark plots of RESULTS.md as PNG files with
// gonum.org/v1/plot: bar charts (throughput per parser) and line charts
// (throughput against message size, or any other x/y series).
package charts

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// Series is one line of a line chart.
type Series struct {
	Name string
	X, Y []float64
}

// Bar writes a bar chart of values (one bar per label) to path (PNG).
func Bar(path, title, ylabel string, labels []string, values []float64) error {
	if len(labels) != len(values) || len(values) == 0 {
		return fmt.Errorf("charts: %d labels for %d values", len(labels), len(values))
	}
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	bars, err := plotter.NewBarChart(plotter.Values(values), vg.Points(28))
	if err != nil {
		return err
	}
	bars.Color = color.RGBA{R: 40, G: 110, B: 180, A: 255}
	bars.LineStyle.Width = 0
	p.Add(bars)
	p.NominalX(labels...)
	p.X.Tick.Label.Rotation = 0.5
	p.X.Tick.Label.XAlign = -0.9
	p.X.Tick.Label.YAlign = -0.3
	p.Add(plotter.NewGrid())
	w := vg.Length(max(6, 1.1*float64(len(labels)))) * vg.Inch
	return p.Save(w, 4.5*vg.Inch, path)
}

// Lines writes a line chart with points to path (PNG); logX and logY select
// logarithmic axes (all values must then be > 0).
func Lines(path, title, xlabel, ylabel string, series []Series, logX, logY bool) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	if logX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	var args []any
	for _, s := range series {
		if len(s.X) != len(s.Y) {
			return fmt.Errorf("charts: series %s has %d x and %d y", s.Name, len(s.X), len(s.Y))
		}
		pts := make(plotter.XYs, len(s.X))
		for i := range s.X {
			pts[i].X, pts[i].Y = s.X[i], s.Y[i]
		}
		args = append(args, s.Name, pts)
	}
	if err := plotutil.AddLinePoints(p, args...); err != nil {
		return err
	}
	// leave headroom above the curves for the legend
	if logY && p.Y.Max > 0 {
		p.Y.Max *= 30
	} else {
		p.Y.Max *= 1.35
		p.Y.Min = min(p.Y.Min, 0) // linear axes start at zero: flat curves look flat
	}
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return p.Save(8*vg.Inch, 5*vg.Inch, path)
}
