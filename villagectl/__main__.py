from villagectl.cli.main import run

run()
