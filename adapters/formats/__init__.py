"""Real file formats that children's services data moves in, and their link to the standard's models.

- `cin`: the Children in Need census return that every English authority sends DfE each year.
"""
