"""hpcir.mdft_case"""
