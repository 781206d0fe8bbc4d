"""The tamper-evident access log (访问日志, issue 4)."""
