"""SEN2 return tools: a streaming validator for any supplier's SEN2 XML (docs sen2-spec.md).

    sendwh sen2 validate FILE... [--format text|json|html|csv] [--year Y] [--out FILE]

sen2.rules holds the rule list (stable ids SEN2-Rnnn), sen2.validator the checks,
sen2.report the output formats, sen2.xsd each collection year's schema (derived from its profile,
seeds/sen2_profiles.csv), sen2.shape a writer's elements put in a year's shape.
Importing this package is cheap; lxml is loaded by sen2.validator only.
"""
