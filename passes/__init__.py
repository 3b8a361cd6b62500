"""hpcir.passes"""
