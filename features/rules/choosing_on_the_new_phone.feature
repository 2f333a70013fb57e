# Steps 15 and 16 on my new phone: I choose how to activate it, and I mark
# that the QR code is shown before I scan it. A button pressed before the
# choice takes me nowhere: the app goes on only with what I chose.
@rules
Feature: My new phone goes on only when I have chosen
  Choose Copy from another MitID app. Press Next. Mark QR code is shown on
  the old app and press Scan QR code.

  Background: Before you begin
    Given my old phone and the MitID app on it are updated
    And the MitID app is downloaded on my new phone, and I have fewer than three active MitID apps
    And Bluetooth is enabled on both phones

  # "Choose Copy from another MitID app. Press Next."
  @doc-15
  Scenario: Pressing "Next" before I choose how to activate my new app takes me nowhere
    Given I have followed steps 1 to 14
    When I press "Next"
    Then I see 'How do you want to activate your MitID app?'
    When I follow steps 15 to 16
    Then I see 'Bluetooth access is required'

  # "Mark QR code is shown on the old app and press Scan QR code."
  @doc-16
  Scenario: Pressing "Scan QR code" before I mark that the QR code is shown opens no scanner
    Given I have followed steps 1 to 15
    When I press "Scan QR code"
    Then I see 'QR code is shown on the old app'
    When I follow steps 16 to 16
    Then I see 'Bluetooth access is required'

  # Step 19: "Hold the screen towards yourself so that the MitID app uses
  # your phone's/tablet's camera to scan the QR code." The app scans when I
  # hold my phone up to the code on its scanner, not whatever its camera sees
  # while it shows another screen: that would move the copy on without my
  # asking. Android, for its Back button: the scanner has no button of its
  # own to leave by.
  @doc-19 @android-14
  Scenario: My new phone reads a QR code only on its scanner, not on a screen I went back to
    Given I have followed steps 1 to 18
    And I allow the MitID app to use the camera
    When I press the Back button of my phone
    And my new phone's camera sees the QR code on my old app
    Then I see 'QR code is shown on the old app'
    And I do not see 'Enter your user ID'
    When I mark "QR code is shown on the old app" and press "Scan QR code"
    And I press "Next" on the screen 'Bluetooth access is required'
    Then I see 'Enter your user ID'
