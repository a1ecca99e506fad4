"""villagectl：乡村治理积分制命令行工具。"""

__version__ = "0.1.0"
