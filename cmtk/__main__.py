from cmtk.cli.main import main

if __name__ == "__main__":  # the index rebuild's worker processes import this module again (spawn)
    main()
