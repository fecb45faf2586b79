# promcheck.awk: checks a /metrics scrape against the Prometheus text
# exposition format 0.0.4 and Simpul's own rules; prints one line per
# problem ("line N: ...") and exits 1 if there was any.
#
#   awk -f promcheck.awk scrape.txt
#
# The format: "# HELP name text", "# TYPE name counter|gauge|histogram|
# summary|untyped", then the family's samples 'name{label="value",...} value'
# grouped together, names [a-zA-Z_:][a-zA-Z0-9_:]*, label names
# [a-zA-Z_][a-zA-Z0-9_]*, label values with only \\, \" and \n escaped,
# values as Go floats (+Inf, -Inf, NaN). Histograms: <name>_bucket{le="..."}
# with ascending le and non-decreasing (cumulative) counts ending with
# le="+Inf", which equals <name>_count; <name>_sum.
#
# Simpul's rules on top: every name starts with simpul_, every family has
# HELP then TYPE before its samples, counters end in _total and are never
# negative, no series appears twice. POSIX awk (mawk) only.

function err(msg) {
	printf "line %d: %s\n", NR, msg
	errors++
}

function isnum(v) {
	return v ~ /^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$/ ||
	    v == "+Inf" || v == "-Inf" || v == "NaN"
}

function numval(v) {
	if (v == "+Inf")
		return 1e308 * 10
	if (v == "-Inf")
		return -1e308 * 10
	return v + 0
}

# Closes the current family: the histogram's own checks.
function end_family() {
	if (fam == "" || ftype != "histogram")
		return
	if (!saw_inf)
		err(fam ": no le=\"+Inf\" bucket")
	if (!saw_count)
		err(fam ": no " fam "_count")
	if (!saw_sum)
		err(fam ": no " fam "_sum")
	if (saw_inf && saw_count && inf_count != count_val)
		err(fam ": le=\"+Inf\" bucket " inf_count " != _count " count_val)
}

# Parses the labels at the start of s (after "{"); sets LABELS (the raw
# text) and REST (after "}"), returns 0 on a syntax error. Sets LE to the
# value of a label named le, "" if none.
function parse_labels(s,    c, name, val, i) {
	LABELS = ""
	LE = ""
	i = 1
	for (;;) {
		if (substr(s, i, 1) == "}") {
			REST = substr(s, i + 1)
			return 1
		}
		if (!match(substr(s, i), /^[a-zA-Z_][a-zA-Z0-9_]*/))
			return 0
		name = substr(s, i, RLENGTH)
		i += RLENGTH
		if (substr(s, i, 2) != "=\"")
			return 0
		i += 2
		val = ""
		for (;;) {
			c = substr(s, i, 1)
			if (c == "")
				return 0
			if (c == "\"")
				break
			if (c == "\\") {
				c = substr(s, i + 1, 1)
				if (c != "\\" && c != "\"" && c != "n")
					return 0
				val = val "\\" c
				i += 2
				continue
			}
			val = val c
			i++
		}
		i++
		if (name == "le")
			LE = val
		LABELS = LABELS name "=\"" val "\","
		c = substr(s, i, 1)
		if (c == ",")
			i++
		else if (c != "}")
			return 0
	}
}

BEGIN {
	errors = 0
	samples = 0
	families = 0
	fam = ""
}

/^$/ { next }

/^# HELP / {
	n = split($0, w, " ")
	name = w[3]
	if (name !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*$/)
		err("bad metric name in HELP: " name)
	if (name in help)
		err("second HELP for " name)
	help[name] = 1
	next
}

/^# TYPE / {
	n = split($0, w, " ")
	name = w[3]
	if (n != 4)
		err("TYPE wants a name and a type: " $0)
	if (w[4] !~ /^(counter|gauge|histogram|summary|untyped)$/)
		err("unknown type " w[4])
	if (name in typed)
		err("second TYPE for " name)
	if (!(name in help))
		err("TYPE before (or without) HELP for " name)
	if (name in sampled)
		err("TYPE of " name " after its samples")
	end_family()
	typed[name] = w[4]
	fam = name
	ftype = w[4]
	families++
	saw_inf = saw_count = saw_sum = 0
	last_le = ""
	last_cum = 0
	if (name !~ /^simpul_/)
		err("not a simpul_ metric: " name)
	if (ftype == "counter" && name !~ /_total$/)
		err("counter " name " does not end in _total")
	next
}

/^#/ {
	err("unexpected comment: " $0)
	next
}

{
	if (!match($0, /^[a-zA-Z_:][a-zA-Z0-9_:]*/)) {
		err("not a sample: " $0)
		next
	}
	name = substr($0, 1, RLENGTH)
	rest = substr($0, RLENGTH + 1)
	LABELS = ""
	LE = ""
	if (substr(rest, 1, 1) == "{") {
		if (!parse_labels(substr(rest, 2))) {
			err("bad labels: " $0)
			next
		}
		rest = REST
	}
	if (substr(rest, 1, 1) != " ") {
		err("no space before the value: " $0)
		next
	}
	n = split(substr(rest, 2), w, " ")
	if (n < 1 || n > 2 || !isnum(w[1])) {
		err("bad value: " $0)
		next
	}
	value = w[1]
	samples++
	key = name "{" LABELS "}"
	if (key in seen)
		err("series twice: " key)
	seen[key] = 1

	base = name
	if (ftype == "histogram")
		sub(/_(bucket|sum|count)$/, "", base)
	if (base != fam) {
		err("sample " name " outside its family (current: " fam ")")
		next
	}
	sampled[fam] = 1
	if (ftype == "counter" && numval(value) < 0)
		err("negative counter " name)
	if (ftype != "histogram")
		next
	if (name == fam "_bucket") {
		if (LE == "" || !isnum(LE)) {
			err("bucket without a numeric le: " $0)
			next
		}
		if (saw_inf)
			err("bucket after le=\"+Inf\": " $0)
		if (last_le != "" && numval(LE) <= numval(last_le))
			err("le not ascending: " LE " after " last_le)
		if (numval(value) < last_cum)
			err("bucket counts not cumulative: " value " after " last_cum)
		last_le = LE
		last_cum = numval(value)
		if (LE == "+Inf") {
			saw_inf = 1
			inf_count = value
		}
	} else if (name == fam "_count") {
		saw_count = 1
		count_val = value
	} else if (name == fam "_sum") {
		saw_sum = 1
	} else
		err("not a histogram series: " name)
}

END {
	end_family()
	if (samples == 0)
		err("no samples")
	printf "families=%d samples=%d errors=%d\n", families, samples, errors
	exit errors > 0
}
