package main

import (
	"fmt"
	"strings"
)

// palette colours the policies, in the order of policies.
var palette = []string{"#d62728", "#ff9896", "#9467bd", "#1f77b4", "#2ca02c", "#ff7f0e", "#8c564b", "#7f7f7f"}

// plot draws a grouped bar chart: one group per workload and size, one bar
// per policy, hit ratio from 0 to 100 % on the y axis.
func plot(ts []trace, results []result) string {
	const (
		barW   = 12
		gap    = 18
		left   = 50
		top    = 30
		height = 260
		bottom = 70
	)
	groupW := len(policies)*barW + gap
	groups := len(ts) * len(sizes)
	width := left + groups*groupW + 20
	legendH := 18 * ((len(policies) + 2) / 3)
	total := top + height + bottom + legendH
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">`+"\n", width, total)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, total)
	fmt.Fprintf(&b, `<text x="%d" y="18" font-size="13">Hit ratio by workload and cache size (%% of the key space)</text>`+"\n", left)
	for pctv := 0; pctv <= 100; pctv += 20 {
		y := top + height - pctv*height/100
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#ddd"/>`+"\n", left, y, width-20, y)
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%d %%</text>`+"\n", left-5, y+4, pctv)
	}
	g := 0
	for _, t := range ts {
		for _, size := range sizes {
			x0 := left + g*groupW + gap/2
			for i, p := range policies {
				hr := lookup(results, p.name, t.name, size)
				h := hr * height
				fmt.Fprintf(&b, `<rect x="%d" y="%.1f" width="%d" height="%.1f" fill="%s"><title>%s %s %s: %.2f %%</title></rect>`+"\n",
					x0+i*barW, float64(top+height)-h, barW-1, h, palette[i%len(palette)], t.name, pct(size), p.name, hr*100)
			}
			cx := x0 + len(policies)*barW/2
			fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`+"\n", cx, top+height+15, t.name)
			fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`+"\n", cx, top+height+29, pct(size))
			g++
		}
	}
	ly := top + height + bottom - 20
	for i, p := range policies {
		x := left + (i%3)*220
		y := ly + (i/3)*18
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/>`, x, y, palette[i%len(palette)])
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`+"\n", x+16, y+10, p.name)
	}
	b.WriteString("</svg>\n")
	return b.String()
}
