{{ timeliness_measures('year') }}
