from rentengine.cli import main

main()
