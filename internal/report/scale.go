package report

import (
	"math"
	"strconv"
)

// axis is a linear scale from 0 to Top, with ticks every Step. Every chart
// here counts things, so Step is a whole number of at least 1, and 1, 2 or
// 5 times a power of ten.
type axis struct {
	Top, Step float64
}

// maxTicks is how many steps an axis aims for at most.
const maxTicks = 5

// niceAxis returns the axis for data whose largest value is max, with at
// most want steps. Zero, negative or NaN data get the axis 0..1, so an
// empty chart still has a scale.
func niceAxis(max float64, want int) axis {
	if want < 1 {
		want = 1
	}
	if !(max > 0) {
		max = 1
	}
	if max > 1e300 {
		max = 1e300 // keeps Top*ticks finite
	}
	raw := max / float64(want)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	// Log10 is not exact at every power of ten; correct by one if needed.
	if p > raw {
		p /= 10
	}
	if p*10 <= raw {
		p *= 10
	}
	step := 10 * p
	for _, m := range []float64{1, 2, 5} {
		if m*p >= raw {
			step = m * p
			break
		}
	}
	step = math.Max(step, 1)
	top := math.Ceil(max/step) * step
	return axis{Top: top, Step: step}
}

// ticks returns the tick values 0, Step, ..., Top.
func (a axis) ticks() []float64 {
	n := int(math.Round(a.Top / a.Step))
	t := make([]float64, 0, n+1)
	for i := 0; i <= n; i++ {
		t = append(t, float64(i)*a.Step)
	}
	return t
}

// frac returns where v falls on the axis, 0 at the origin and 1 at Top,
// clamped to that range.
func (a axis) frac(v float64) float64 {
	if !(a.Top > 0) || !(v > 0) {
		return 0
	}
	return math.Min(v/a.Top, 1)
}

// count formats a tick value: whole numbers below 10,000 as they are,
// larger ones with a suffix (12k, 2.5M, 3B), beyond trillions in
// scientific notation.
func count(v float64) string {
	if v < 1e4 {
		return strconv.FormatFloat(math.Round(v), 'f', -1, 64)
	}
	for _, u := range []struct {
		div    float64
		suffix string
	}{{1e12, "T"}, {1e9, "B"}, {1e6, "M"}, {1e3, "k"}} {
		if v >= u.div && v < 1e3*u.div {
			return strconv.FormatFloat(math.Round(v/u.div*10)/10, 'f', -1, 64) + u.suffix
		}
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// percent formats part of whole as a whole percentage, 0% when whole is 0.
func percent(part, whole int) string {
	if whole <= 0 {
		return "0%"
	}
	return strconv.Itoa(int(math.Round(100*float64(part)/float64(whole)))) + "%"
}
