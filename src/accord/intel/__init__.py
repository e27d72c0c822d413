"""Intel: the record store of STIX 2.1 objects, every version kept, with markings indexed."""
