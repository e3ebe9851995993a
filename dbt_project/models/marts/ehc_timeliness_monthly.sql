{{ timeliness_measures('month') }}
