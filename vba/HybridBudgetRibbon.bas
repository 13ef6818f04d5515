Attribute VB_Name = "HybridBudgetRibbon"
' Ribbon callbacks of the Hybrid Budget tab (xlwings_addin/customUI14.xml).
' Each button runs one Python entry function of xlwings_addin/hybridbudget_addin.py through
' xlwings' RunPython, on the active workbook (the control workbook). All logic is in Python.
Option Explicit

Private Function NoWorkbook() As Boolean
    NoWorkbook = ActiveWorkbook Is Nothing
    If NoWorkbook Then
        MsgBox "Open the control workbook first, then click the button again.", vbInformation, "Hybrid Budget"
    End If
End Function

Sub GenerateTemplates(control As IRibbonControl)
    If NoWorkbook() Then Exit Sub
    RunPython "import hybridbudget_addin; hybridbudget_addin.generate_templates()"
End Sub

Sub Validate(control As IRibbonControl)
    If NoWorkbook() Then Exit Sub
    RunPython "import hybridbudget_addin; hybridbudget_addin.validate()"
End Sub

Sub Consolidate(control As IRibbonControl)
    If NoWorkbook() Then Exit Sub
    RunPython "import hybridbudget_addin; hybridbudget_addin.consolidate()"
End Sub

Sub Chase(control As IRibbonControl)
    If NoWorkbook() Then Exit Sub
    RunPython "import hybridbudget_addin; hybridbudget_addin.chase()"
End Sub

Sub Divergence(control As IRibbonControl)
    If NoWorkbook() Then Exit Sub
    RunPython "import hybridbudget_addin; hybridbudget_addin.divergence()"
End Sub

Sub ApplyDecisions(control As IRibbonControl)
    If NoWorkbook() Then Exit Sub
    RunPython "import hybridbudget_addin; hybridbudget_addin.apply_decisions()"
End Sub

Sub LockPlan(control As IRibbonControl)
    If NoWorkbook() Then Exit Sub
    RunPython "import hybridbudget_addin; hybridbudget_addin.lock_plan()"
End Sub

Sub ImportActuals(control As IRibbonControl)
    If NoWorkbook() Then Exit Sub
    RunPython "import hybridbudget_addin; hybridbudget_addin.import_actuals()"
End Sub

Sub Variance(control As IRibbonControl)
    If NoWorkbook() Then Exit Sub
    RunPython "import hybridbudget_addin; hybridbudget_addin.variance()"
End Sub

Sub Dashboard(control As IRibbonControl)
    If NoWorkbook() Then Exit Sub
    RunPython "import hybridbudget_addin; hybridbudget_addin.dashboard()"
End Sub

Sub About(control As IRibbonControl)
    If NoWorkbook() Then Exit Sub
    RunPython "import hybridbudget_addin; hybridbudget_addin.about()"
End Sub

Sub OpenLog(control As IRibbonControl)
    If NoWorkbook() Then Exit Sub
    RunPython "import hybridbudget_addin; hybridbudget_addin.open_log()"
End Sub
