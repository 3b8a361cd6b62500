"""hpcir.backends"""
