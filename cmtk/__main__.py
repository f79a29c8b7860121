from cmtk.cli.main import main

main()
