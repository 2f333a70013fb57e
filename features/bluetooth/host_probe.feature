# The proximity beacon, heard by the test host's own Bluetooth adapter.
# "Bluetooth is used to ensure that you are the one scanning the QR code":
# while the QR code is shown, the old phone advertises a Bluetooth beacon
# (one service UUID: the MitID prefix and a token bound to the QR session,
# what an iPhone and an Android phone can both send), and it stops
# once the QR code has expired or the copy is done.
#
# These scenarios need a profile with a [bluetooth] section (the host
# adapter): devices/virtual-bluez.toml in CI (BlueZoo), a lab profile on the
# bench. Without one, the runner leaves @bluetooth scenarios out and says so.
@bluetooth
Feature: The host hears my old phone's Bluetooth beacon while the QR code is shown

  Background: Before you begin
    Given my old phone and the MitID app on it are updated
    And the MitID app is downloaded on my new phone, and I have fewer than three active MitID apps
    And Bluetooth is enabled on both phones

  @before-1 @before-2 @before-3 @doc-10 @doc-11 @doc-12 @doc-17 @doc-18 @doc-19
  Scenario Outline: The beacon is on the air while I copy my MitID app, and gone when the copy completes
    # On the old phone, steps 1-12
    When I open the MitID app on my old phone and open the menu at the top of the screen
    And I press "Activate"
    And I press "Copy your MitID to a new app"
    And I read the information and press "Next"
    And I enter my PIN code
    And I check "Yes, I want to copy" and press "Start copying"
    Then the waiting period has started
    When I press "OK" and close the MitID app while waiting
    And 1 hour passes
    Then I receive a notification from the app that the waiting time is over
    When I open the MitID app and press "Show QR code" on the screen 'Show QR code and copy MitID to the new app'
    And I enter my PIN code
    And I read the information on the screen 'Bluetooth access is required' and press "Next"
    And I accept that the MitID app uses Bluetooth
    Then I see a QR code that is valid for 3 minutes
    And the host sees my old phone's MitID beacon
    # On the new phone, steps 13-26
    When I open the MitID app on my new phone
    And I press "Get started" on the screen 'Activate your MitID'
    And I choose "Copy from another MitID app" and press "Next"
    And I mark "QR code is shown on the old app" and press "Scan QR code"
    And I press "Next" on the screen 'Bluetooth access is required'
    And I accept that the MitID app uses Bluetooth
    And I scan the QR code by holding my new phone up to the QR code on my old app
    And I enter my user ID to confirm my identity and press "Next"
    And I enter the temporary PIN code that I receive via SMS
    And I press "Next" on the screen 'Choose your personal PIN code'
    And I create my personal PIN code, press "Next", repeat it and press "Next"
    And I choose <biometric> to approving with biometric
    And I accept notifications from the MitID app
    Then I see 'This app is now activated and ready to use' and press "OK"
    And the beacon is gone after the copy completes
    And my MitID app on my old phone is still active

    @android-14
    Examples: Android phones
      | biometric |
      | yes       |

    @ios
    Examples: iPhones
      | biometric |
      | no        |

  @doc-12
  Scenario: The beacon is gone when the QR code expires
    Given I have followed steps 1 to 12
    And the host sees my old phone's MitID beacon
    When 3 minutes and 1 second pass
    And I take my old phone
    Then I see 'The QR code has expired'
    And the beacon is gone after the QR code expires
