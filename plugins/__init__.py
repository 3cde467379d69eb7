"""Built-in plugin data shipped with HireLens: ``scenarios/*.yaml`` (one interview scenario per job role)
and ``policies/*.yaml`` (deployment policies). Data only; nothing here is executed."""
