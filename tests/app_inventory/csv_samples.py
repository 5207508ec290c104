"""CSV bodies that unit and end-to-end tests of the loader both use."""

# One good row, then one row of each kind the loader rejects (lines 3 to 7).
ONE_OF_EACH_BAD_ROW = (
    b"store,item,count\n"
    b"Berlin,Apples,42\n"
    b"Berlin,Pears\n"
    b"Berlin,Plums,many\n"
    b"Berlin,Figs,-1\n"
    b",Kiwis,3\n"
    b"Madrid,,3\n"
)
