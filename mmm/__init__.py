"""`mmm`: the operator's command. Runs, migrates and demonstrates the whole platform.

It sits above the services (it loads them by name); `shared/` stays free of any service import.
"""
