# Latency ratio (p50 of a forward after an idle gap / p50 back to back) against the idle gap, one
# line per configuration, from the .dat table that `hearth latency --latency.dat FILE` writes
# (first line: column names; "?" marks a gap a configuration did not run).
#
#   gnuplot -e "dat='latency.dat'; svg='latency.svg'" bench/plot_latency.gnuplot
if (!exists("dat")) dat = "latency.dat"
if (!exists("svg")) svg = "latency.svg"
if (!exists("title_text")) title_text = "Hearth: forward latency after an idle gap (p50, relative to back to back)"

set terminal svg size 1000,620 dynamic font "sans,12" noenhanced
set output svg
set datafile missing "?"
set key outside right top autotitle columnhead
set title title_text
set xlabel "idle gap before the forward (s)"
set ylabel "p50 latency / p50 back to back"
set logscale x
set format x "%g"
set grid xtics ytics mxtics
set yrange [0:*]
set samples 400
# The keep-warm target (p50 <= 1.15x for gaps of 0.05-20 s), drawn over the target range only.
target(x) = (x >= 0.05 && x <= 20) ? 1.15 : 1/0
# Columns counted from the header line: `for [i=2:*]` would stop at a column with no points.
ncol = words(system("head -n 1 '" . dat . "'"))
plot for [i=2:ncol] dat using 1:i with linespoints pointsize 0.8 linewidth 1.5, \
     target(x) title "target (gaps 0.05-20 s)" with lines dashtype 2 linewidth 1.5 linecolor rgb "#cc0000"
