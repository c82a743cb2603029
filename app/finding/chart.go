package finding

import (
	"fmt"
	"strings"
	"time"
)

// Chart is the dashboard's trend of open findings, drawn as a small
// server-rendered SVG (DESIGN §8: no chart library, no script).
type Chart struct {
	Width, Height int
	Line          string // the polyline's points
	Area          string // the polygon under it
	Max           int    // the highest day
	First, Last   TrendPoint
}

const (
	chartWidth, chartHeight = 600, 80
	chartPad                = 4
)

func chart(points []TrendPoint) *Chart {
	c := &Chart{Width: chartWidth, Height: chartHeight, Max: 1}
	if len(points) == 0 {
		return c
	}
	c.First, c.Last = points[0], points[len(points)-1]
	for _, p := range points {
		c.Max = max(c.Max, p.Open)
	}
	var line []string
	for i, p := range points {
		x := chartPad + float64(i)*float64(chartWidth-2*chartPad)/float64(max(1, len(points)-1))
		y := float64(chartHeight-chartPad) - float64(p.Open)*float64(chartHeight-2*chartPad)/float64(c.Max)
		line = append(line, fmt.Sprintf("%.1f,%.1f", x, y))
	}
	c.Line = strings.Join(line, " ")
	c.Area = fmt.Sprintf("%d,%d %s %d,%d", chartPad, chartHeight-chartPad, c.Line, chartWidth-chartPad, chartHeight-chartPad)
	return c
}

// Days is how many days the chart spans.
func (c *Chart) Days() int { return int(c.Last.Day.Sub(c.First.Day)/(24*time.Hour)) + 1 }
