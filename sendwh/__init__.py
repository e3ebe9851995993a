"""sendwh: the tri-borough SEND reporting warehouse."""
