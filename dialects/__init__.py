"""hpcir.dialects"""
