"""The Excel add-in: ribbon buttons around the engine's steps, and the .xlam build (on Linux too).

`buttons.py` runs a step on the control workbook open in Excel (the entry functions in
`xlwings_addin/hybridbudget_addin.py` call it); `settings.py` finds the folders it works in;
`build.py` assembles HybridBudget.xlam from the text sources with `ovba.py` and `cfb.py`;
`machine.py`, `install.py` and `doctor.py` install it for one user and check what it needs.
"""
