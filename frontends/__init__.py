"""hpcir.frontends"""
